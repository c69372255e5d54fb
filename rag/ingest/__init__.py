"""Reading articles: one reader per file format, and a folder walk that reports every file it skips."""
