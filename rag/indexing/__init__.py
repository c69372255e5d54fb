"""The index: SQLite store, FAISS vectors, BM25, manifest, versions on disk, reading them, building them."""
