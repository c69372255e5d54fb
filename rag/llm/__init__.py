"""The local GGUF model: where its file comes from, loading it with llama.cpp, streamed generation."""
