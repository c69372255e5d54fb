"""One typed settings object: defaults, then ``RAG_*`` environment variables, then explicit overrides."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

ENV_PREFIX = "RAG_"


class SettingsError(ValueError):
    """A setting name is unknown or its value has the wrong type or is out of range."""


class ModelNotFound(FileNotFoundError):
    """A configured model is not on this machine (nothing is ever downloaded)."""


# Hosts that only this machine can reach: serving elsewhere warns, and asks for a password.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def file_bytes(megabytes: float) -> int:
    """The ``max_file_mb`` setting in bytes (decimal megabytes, as file managers show sizes)."""
    return int(megabytes * 1_000_000)


CHOICES = {
    "vector_index": ("auto", "exact", "ivf"),
    "llm_prompt_style": ("auto", "chat", "completion"),
    "query_rewriter": ("heuristic", "llm"),
    "fusion": ("adaptive", "weighted"),
    "llm_backend": ("llama-cpp", "openai"),
    "store_backend": ("local", "milvus"),
}
# Inclusive bounds; None = unbounded.
RANGES: dict[str, tuple[float | None, float | None]] = {
    "embed_batch_size": (1, None), "chunk_chars": (100, None), "chunk_overlap": (0, None),
    "max_file_mb": (0, None), "top_k": (1, None), "candidates": (1, None), "approx_min_chunks": (0, None),
    "ivf_nprobe": (1, None), "dense_weight": (0, 1), "dense_weight_foreign": (0, 1), "llm_threads": (0, None),
    "llm_context": (256, None), "max_answer_tokens": (1, None), "temperature": (0, None),
    "min_answerability": (0, 1), "port": (0, 65535), "llm_timeout": (1, None), "llm_parallel": (0, None),
}


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Field name ``x`` is set by env var ``RAG_X`` or CLI flag ``--x``."""

    articles_dir: Path = Path("articles")
    index_dir: Path = Path("index")
    index_name: str = "default"
    store_backend: str = "local"  # "local" (SQLite + FAISS + BM25 files) or "milvus" (docs/scaling.md)
    milvus_uri: str = ""  # "" = Milvus Lite in <index_dir>/<index_name>/milvus.db; a *.db path; http://host:19530
    shard: str = ""  # "K/N": index only this machine's share of the folder (milvus only; rag index --shard)
    embed_model: str = "multilingual-e5-small"  # bench/RESULTS.md: Indonesian R@5 0.92 -> 0.98 over MiniLM
    embed_batch_size: int = 32
    embed_languages: str = "auto"  # "auto": the model's own list (rag/embed/*.py); or e.g. "en,id"
    chunk_chars: int = 800
    chunk_overlap: int = 1
    max_file_mb: float = 20.0
    top_k: int = 5
    candidates: int = 50
    vector_index: str = "auto"  # "exact" | "ivf" | "auto" (= ivf from approx_min_chunks chunks on)
    approx_min_chunks: int = 200_000  # bench/latency.py: exact search stays under ~50 ms p95 below this
    ivf_nprobe: int = 128  # IVF lists scanned per query (more = slower, closer to exact)
    dense_weight: float = 0.5
    dense_weight_foreign: float = 0.0
    fusion: str = "adaptive"  # or "weighted" (the fixed mix); adaptive scales BM25 by query coverage
    llm_model: str = "qwen2.5-coder-1.5b"  # bench/RESULTS.md: right answers; gemma3-270m is ~4x faster
    llm_threads: int = 0  # 0: one less than the CPU count (rag/llm/loading.py)
    llm_context: int = 2048
    llm_extra_bufts: bool = False
    llm_prompt_style: str = "auto"
    # Answers from OpenAI-compatible model servers instead (docs/scaling.md): llama.cpp's server, vLLM, Ollama...
    llm_backend: str = "llama-cpp"  # "llama-cpp": the GGUF in this process; "openai": the servers below
    llm_base_url: str = ""  # one or more, comma-separated, e.g. "http://10.0.0.5:8000/v1,http://10.0.0.6:8000/v1"
    llm_server_model: str = ""  # the model name sent to the servers ("": the first one a server lists)
    llm_api_key_env: str = "OPENAI_API_KEY"  # the environment variable holding the servers' key, if any
    llm_timeout: float = 60.0  # seconds to wait for a server's next word before giving up
    llm_parallel: int = 0  # answers written at once by the web UI (0: one per server; in-process always 1)
    max_answer_tokens: int = 64  # answers are one short sentence; the evidence is quoted beside them
    temperature: float = 0.0
    min_answerability: float = 0.3  # bench/refusal.py: false refusals <= 0.05 on every shared set
    query_rewriter: str = "heuristic"
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str = field(default="", repr=False)  # "user:password[;user2:password2]": web logins, each with its chats

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise SettingsError(f"setting {name!r} must be one of {', '.join(allowed)}; "
                                    f"got {getattr(self, name)!r}")
        for name, (low, high) in RANGES.items():
            value = getattr(self, name)
            if (low is not None and value < low) or (high is not None and value > high):
                bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
                raise SettingsError(f"setting {name!r} must be {bounds}; got {value!r}")
        if self.llm_backend == "openai" and not self.llm_servers:
            raise SettingsError("setting 'llm_backend' is 'openai' but 'llm_base_url' is empty: give the model "
                                "servers' URLs, e.g. RAG_LLM_BASE_URL=http://127.0.0.1:8000/v1")
        for url in self.llm_servers:
            if not url.startswith(("http://", "https://")):
                raise SettingsError(f"setting 'llm_base_url' must hold http:// or https:// URLs; got {url!r}")

    @property
    def max_file_bytes(self) -> int:
        """The largest article file read or uploaded, in bytes."""
        return file_bytes(self.max_file_mb)

    @property
    def is_loopback(self) -> bool:
        """Whether the web UI listens only on this machine."""
        return self.host in LOOPBACK_HOSTS

    @property
    def llm_servers(self) -> list[str]:
        """The model servers' base URLs, in the order given."""
        return [url.strip().rstrip("/") for url in self.llm_base_url.split(",") if url.strip()]

    @property
    def llm_label(self) -> str:
        """Who writes the answers, for status lines: the model file, or the model servers."""
        if self.llm_backend != "openai":
            return self.llm_model
        servers = self.llm_servers
        plural = "s" if len(servers) > 1 else ""
        return f"{self.llm_server_model or 'the model'} on {len(servers)} server{plural} ({', '.join(servers)})"

    @property
    def remote_hosts(self) -> frozenset[str]:
        """The hosts beyond this machine the configured backends talk to (the network guard allows these)."""
        from urllib.parse import urlsplit

        urls = self.llm_servers if self.llm_backend == "openai" else []
        if self.store_backend == "milvus" and "://" in self.milvus_uri:  # not a Milvus Lite file
            urls.append(self.milvus_uri)
        return frozenset(host for url in urls if (host := urlsplit(url).hostname) and host not in LOOPBACK_HOSTS)

    @property
    def index_path(self) -> Path:
        """Folder holding the versions of the named index."""
        return self.index_dir / self.index_name

    @classmethod
    def names(cls) -> list[str]:
        """All valid setting names."""
        return [f.name for f in fields(cls)]

    @classmethod
    def load(
        cls,
        overrides: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> "Settings":
        """Build settings from defaults < ``RAG_*`` environment variables < ``overrides``.

        Unknown names (in either source) raise :class:`SettingsError` listing the valid ones.
        ``None`` values in ``overrides`` mean "not given" and are ignored.
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for key, raw in env.items():
            if key.startswith(ENV_PREFIX):
                values[_check_name(key[len(ENV_PREFIX):].lower(), key)] = raw
        for key, value in (overrides or {}).items():
            if value is not None:
                values[_check_name(key, key)] = value
        return cls().with_values(values)

    def with_values(self, values: Mapping[str, Any]) -> "Settings":
        """A copy with ``values`` (strings are converted to each field's type)."""
        types = {f.name: f.type for f in fields(self)}
        converted = {}
        for name, value in values.items():
            _check_name(name, name)
            converted[name] = _convert(name, types[name], value)
        return replace(self, **converted)


def _check_name(name: str, shown: str) -> str:
    if name not in Settings.names():
        raise SettingsError(
            f"unknown setting {shown!r}; valid settings are: {', '.join(Settings.names())}"
        )
    return name


def _convert(name: str, type_name: Any, value: Any) -> Any:
    kind = {"Path": Path, "str": str, "int": int, "float": float, "bool": bool}[str(type_name)]
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    text = str(value).strip()
    try:
        if kind is bool:
            if text.lower() in {"1", "true", "yes", "on"}:
                return True
            if text.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(text)
        return kind(text)
    except ValueError:
        raise SettingsError(
            f"setting {name!r} expects {kind.__name__}, got {value!r}"
        ) from None
