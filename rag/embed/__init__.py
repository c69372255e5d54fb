"""Embedding: one interface, one module per backend, a factory that picks the backend for a setting."""
