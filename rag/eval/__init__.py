"""Measuring retrieval and answers on a question set (`rag eval`, bench/)."""
