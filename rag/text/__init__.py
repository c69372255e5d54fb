"""Text: language detection, sentences and chunks, word stems, numbers and dates, queries."""
