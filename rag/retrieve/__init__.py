"""Retrieval: the dense and lexical legs of the live index, fused into one ranking."""
