"""One reader per file format. Each returns ``(articles, problems)``.

A reader raises ``ValueError`` (with a human reason) when the whole file is unusable, and
reports per-line trouble (JSONL) as :class:`Problem` records instead of failing the file.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html as html_lib
import io
import json
import logging
import re
import unicodedata
from pathlib import Path
from typing import Callable

from .language import detect_language
from .types import Article, Problem

logger = logging.getLogger(__name__)

MAX_BYTES = 20_000_000
ReadResult = tuple[list[Article], list[Problem]]

_MONTHS = {
    **{m: i for i, m in enumerate("januari februari maret april mei juni juli agustus september "
                                  "oktober november desember".split(), 1)},
    **{m: i for i, m in enumerate("january february march april may june july august september "
                                  "october november december".split(), 1)},
    **{m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)},
    "mei": 5, "agu": 8, "agt": 8, "ags": 8, "sept": 9, "okt": 10, "des": 12,
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_RES = [
    (re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)"), ("y", "m", "d")),
    (re.compile(rf"\b(\d{{1,2}})\s+({_MONTH_RE})\.?\s+(\d{{4}})\b", re.I), ("d", "mon", "y")),
    (re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})\b", re.I), ("mon", "d", "y")),
]


# ---------------------------------------------------------------- helpers

def find_date(text: str) -> str | None:
    """Return the earliest valid date in ``text`` as ``YYYY-MM-DD`` (ISO, "12 Februari 2026",
    "February 12, 2026", "12 February 2026"), or ``None``."""
    found: list[tuple[int, str]] = []
    for regex, order in _DATE_RES:
        for m in regex.finditer(text):
            parts = dict(zip(order, m.groups()))
            month = int(parts["m"]) if "m" in parts else _MONTHS[parts["mon"].lower()]
            try:
                found.append((m.start(), dt.date(int(parts["y"]), month, int(parts["d"])).isoformat()))
                break
            except ValueError:
                continue
    return min(found)[1] if found else None


def normalize_text(text: str) -> str:
    """Unify newlines and spaces, strip trailing spaces per line, collapse 3+ newlines to 2."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = re.sub(r"[\u200b\ufeff]", "", text)
    text = re.sub(r"[ \t]+(?=\n)", "", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def relative_source(path: Path, root: Path) -> str:
    """POSIX path of ``path`` relative to ``root`` (the file name if it is outside root)."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def article_id_for(rel: str) -> str:
    """Stable id from a relative path: readable slug of the stem plus a short path hash."""
    stem = Path(rel).stem
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_stem.lower()).strip("-")[:60].strip("-") or "doc"
    return f"{slug}-{hashlib.sha1(rel.encode('utf-8')).hexdigest()[:6]}"


def _pretty_stem(path: Path) -> str:
    stem = re.sub(r"\d{4}-\d{1,2}-\d{1,2}", " ", path.stem)
    words = re.sub(r"[-_\s]+", " ", stem).split()
    return " ".join(w[:1].upper() + w[1:] for w in words) or path.stem


def _fmt_size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    return f"{n / 1000:.1f} KB" if n >= 1000 else f"{n} bytes"


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    size = path.stat().st_size
    if size > max_bytes:
        raise ValueError(f"file too large ({_fmt_size(size)} > {_fmt_size(max_bytes)} limit)")
    return path.read_bytes()


def read_text_file(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """Read and decode a text file: UTF-8 (BOM stripped), UTF-16 with BOM, else cp1252/latin-1.

    Raises ValueError for binary, empty, whitespace-only or too-large files.
    """
    data = _read_bytes(path, max_bytes)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _check_text(data.decode("utf-16"))
        except UnicodeDecodeError as exc:
            raise ValueError(f"invalid UTF-16 text ({exc.reason})") from None
    if b"\x00" in data[:8192]:
        raise ValueError("binary file (contains NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        logger.warning("%s is not valid UTF-8; decoded as cp1252/latin-1", path)
    return _check_text(text)


def _check_text(text: str) -> str:
    if not text.strip():
        raise ValueError("empty file" if not text else "empty file (whitespace only)")
    sample = text[:8192]
    controls = sum(1 for c in sample if unicodedata.category(c) == "Cc" and c not in "\n\r\t\f")
    if controls > 0.05 * len(sample):
        raise ValueError("binary file (too many control characters), not text")
    return text


def _make_article(path: Path, root: Path, title: str, text: str, *, published: str | None = None,
                  url: str | None = None) -> Article:
    text, title = normalize_text(text), " ".join(title.split())
    if not text:
        raise ValueError("no article text")
    rel = relative_source(path, root)
    return Article(id=article_id_for(rel), title=title or _pretty_stem(path), text=text, source=rel,
                   url=url or None, published=published,
                   language=detect_language(f"{title}\n{text}"))


def _split_title(text: str) -> tuple[str | None, str]:
    """Title = first non-empty line if short and followed by a blank line; else no title."""
    lines = normalize_text(text).split("\n")
    if len(lines) >= 3 and len(lines[0]) <= 200 and not lines[1].strip() and "".join(lines[2:]).strip():
        return lines[0].strip(), "\n".join(lines[2:])
    return None, text


# ---------------------------------------------------------------- readers

def read_txt(path: Path, root: Path, *, max_bytes: int = MAX_BYTES) -> ReadResult:
    """Plain text: optional title line followed by a blank line, then the body."""
    raw = read_text_file(path, max_bytes)
    title, body = _split_title(raw)
    published = find_date(path.name) or find_date(normalize_text(raw)[:300])
    return [_make_article(path, root, title or "", body, published=published)], []


def _parse_front_matter(text: str) -> tuple[dict[str, str], str]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            meta = {}
            for line in lines[1:end]:
                key, sep, value = line.partition(":")
                if sep and key.strip() and not line.startswith((" ", "\t", "#")):
                    meta[key.strip().lower()] = value.strip().strip("'\"").strip()
            return meta, "\n".join(lines[end + 1:])
    return {}, text


def strip_markdown(text: str) -> str:
    """Remove basic markdown markup: headings, emphasis, links, images, code, quotes, rules."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^\s{0,3}(?:[-*_]\s*){3,}$", "", text, flags=re.M)
    text = re.sub(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", r"\1", text, flags=re.M)
    text = re.sub(r"^\s{0,3}>\s?", "", text, flags=re.M)
    text = re.sub(r"^(\s*)[*+]\s+", r"\1- ", text, flags=re.M)
    text = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])", r"\1", text)
    return re.sub(r"`+([^`]*)`+", r"\1", text)


def read_markdown(path: Path, root: Path, *, max_bytes: int = MAX_BYTES) -> ReadResult:
    """Markdown with optional ``---`` front matter (title, date/published, url)."""
    meta, body = _parse_front_matter(normalize_text(read_text_file(path, max_bytes)))
    title = meta.get("title", "")
    if not title:
        heading = re.match(r"\s*#\s+(.+?)\s*#*\s*(?:\n|$)", body)
        if heading:
            title, body = heading.group(1), body[heading.end():]
    date_value = meta.get("date") or meta.get("published") or meta.get("tanggal") or ""
    published = find_date(date_value) or find_date(path.name) or find_date(body[:300])
    article = _make_article(path, root, strip_markdown(title), strip_markdown(body),
                            published=published, url=meta.get("url"))
    return [article], []


def read_html(path: Path, root: Path, *, max_bytes: int = MAX_BYTES) -> ReadResult:
    """HTML page: main text, title and date via trafilatura; ``<title>`` as fallback title."""
    try:
        import trafilatura
    except ImportError as exc:
        raise ImportError(f"reading HTML needs trafilatura: pip install trafilatura ({exc})") from exc
    html = read_text_file(path, max_bytes)
    try:
        doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False,
                                          include_tables=True)
    except Exception as exc:  # trafilatura/lxml may choke on broken markup
        raise ValueError(f"could not parse HTML ({type(exc).__name__}: {exc})") from exc
    if doc is not None and not isinstance(doc, dict):
        doc = doc.as_dict()
    text = (doc or {}).get("text") or ""
    if not text.strip():
        raise ValueError("no article text found in HTML")
    title = doc.get("title") or ""
    if not title:
        tag = re.search(r"<title[^>]*>(.*?)</title>", html, re.I | re.S)
        title = html_lib.unescape(re.sub(r"<[^>]+>", "", tag.group(1))) if tag else ""
    published = find_date(str(doc.get("date") or "")) or find_date(path.name)
    return [_make_article(path, root, title, text, published=published, url=doc.get("url"))], []


def read_pdf(path: Path, root: Path, *, max_bytes: int = MAX_BYTES) -> ReadResult:
    """PDF: text of all pages (pypdf) joined by blank lines; title from metadata or first line."""
    try:
        import pypdf
    except ImportError as exc:
        raise ImportError(f"reading PDF needs pypdf: pip install pypdf ({exc})") from exc
    data = _read_bytes(path, max_bytes)
    if not data.strip():
        raise ValueError("empty file")
    if b"%PDF-" not in data[:1024]:
        raise ValueError("not a valid PDF (no %PDF header)")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValueError("encrypted PDF (password required)")
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = (reader.metadata or {}).get("/Title")
    except ValueError:
        raise
    except Exception as exc:
        raise ValueError(f"not a valid PDF ({type(exc).__name__}: {exc})") from exc
    text = normalize_text("\n\n".join(p.strip() for p in pages if p.strip()))
    if not text:
        raise ValueError("no extractable text (scanned PDF?)")
    title = str(meta_title).strip() if meta_title else ""
    if re.search(r"^(microsoft \w+ - |untitled)|\.(docx?|odt|pdf)$", title, re.I):
        title = ""  # converter junk, not a real title
    if not title:
        first = text.split("\n", 1)
        if len(first[0]) <= 200 and len(first) > 1 and first[1].strip():
            title, text = first[0], first[1]
    published = find_date(path.name) or find_date(text[:300])
    return [_make_article(path, root, title, text, published=published)], []


def _jsonl_article(obj: object, rel: str) -> Article:
    """Validate one decoded JSONL value; raise ValueError with the reason if unusable."""
    if not isinstance(obj, dict):
        raise ValueError(f"not a JSON object (got {type(obj).__name__})")
    raw_id = obj.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)) or not str(raw_id).strip():
        raise ValueError("missing or empty 'id' (must be a non-empty string or integer)")
    if "title" not in obj:
        raise ValueError("missing 'title' (use \"\" if there is none)")
    for key in ("title", "text", "published", "url", "source"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise ValueError(f"'{key}' must be a string, got {type(obj[key]).__name__}")
    text = normalize_text(obj.get("text") or "")
    if not text:
        raise ValueError("missing or empty 'text'")
    art_id, title = str(raw_id).strip(), " ".join((obj.get("title") or "").split())
    published = find_date(obj.get("published") or "")
    if obj.get("published") and not published:
        logger.warning("%s#%s: unrecognised date %r ignored", rel, art_id, obj["published"])
    return Article(id=art_id, title=title, text=text, source=f"{rel}#{art_id}",
                   url=obj.get("url") or None, published=published,
                   language=detect_language(f"{title}\n{text}"))


def read_jsonl(path: Path, root: Path, *, max_bytes: int = MAX_BYTES) -> ReadResult:
    """JSON Lines: one article object per line; bad lines become problems ("file.jsonl:7")."""
    rel = relative_source(path, root)
    articles: list[Article] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(read_text_file(path, max_bytes).replace("\r\n", "\n").split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(f"{rel}:{lineno}", f"invalid JSON: {exc.msg} (column {exc.colno})"))
            continue
        try:
            article = _jsonl_article(obj, rel)
        except ValueError as exc:
            problems.append(Problem(f"{rel}:{lineno}", str(exc)))
            continue
        if article.id in seen:
            problems.append(Problem(f"{rel}:{lineno}",
                                    f"duplicate id '{article.id}' (first on line {seen[article.id]})"))
            continue
        seen[article.id] = lineno
        articles.append(article)
    return articles, problems


READERS: dict[str, Callable[..., ReadResult]] = {
    ".txt": read_txt,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".html": read_html,
    ".htm": read_html,
    ".jsonl": read_jsonl,
    ".pdf": read_pdf,
}
