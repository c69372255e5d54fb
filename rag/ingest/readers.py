"""One reader per file format. Each returns ``(articles, problems)``.

A reader raises :class:`ArticleError` (with a human reason) when the whole file is unusable, and
reports per-line trouble (JSONL) as :class:`Problem` records instead of failing the file.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html as html_lib
import io
import json
import logging
import os
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

from rag.errors import ArticleError, MissingPackage
from rag.settings import Settings, file_bytes
from rag.text.language import detect_language
from rag.text.months import MONTH_NUMBERS
from rag.types import Article, Problem

logger = logging.getLogger(__name__)

MAX_BYTES = file_bytes(Settings.max_file_mb)  # the default of the max_file_mb setting
MIN_HTML_TEXT = 25  # characters of main text below which a page is not an article
ReadResult = tuple[list[Article], list[Problem]]

_MONTH_RE = "|".join(sorted(MONTH_NUMBERS, key=len, reverse=True))
_DATE_RES = [
    (re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)"), ("y", "m", "d")),
    (re.compile(rf"\b(\d{{1,2}})\s+({_MONTH_RE})\.?\s+(\d{{4}})\b", re.I), ("d", "mon", "y")),
    (re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})\b", re.I), ("mon", "d", "y")),
]


def find_date(text: str) -> str | None:
    """Return the earliest valid date in ``text`` as ``YYYY-MM-DD`` (ISO, "12 Februari 2026",
    "February 12, 2026", "12 February 2026"), or ``None``."""
    found: list[tuple[int, str]] = []
    for regex, order in _DATE_RES:
        for m in regex.finditer(text):
            parts = dict(zip(order, m.groups()))
            month = int(parts["m"]) if "m" in parts else MONTH_NUMBERS[parts["mon"].lower()]
            try:
                found.append((m.start(), dt.date(int(parts["y"]), month, int(parts["d"])).isoformat()))
                break
            except ValueError:
                continue
    return min(found)[1] if found else None


def normalize_text(text: str) -> str:
    """Unify newlines and spaces, strip trailing spaces per line, collapse 3+ newlines to 2."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = "\n".join(line.rstrip(" \t") for line in re.sub(r"[\u200b\ufeff]", "", text).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def relative_source(path: Path, root: Path) -> str:
    """POSIX path of ``path`` relative to ``root`` (the file name if it is outside root)."""
    try:  # abspath, not resolve(): a symlinked file keeps its place in the corpus
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
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
        raise ArticleError(f"file too large ({_fmt_size(size)} > {_fmt_size(max_bytes)} limit)")
    return path.read_bytes()


def read_text_file(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """Read and decode a text file: UTF-8 (BOM stripped), UTF-16 with BOM, else cp1252/latin-1.

    Raises ArticleError for binary, empty, whitespace-only or too-large files.
    """
    data = _read_bytes(path, max_bytes)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _check_text(data.decode("utf-16", errors="replace"))
    if b"\x00" in data[:8192]:
        raise ArticleError("binary file (contains NUL bytes), not text")
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
        raise ArticleError("empty file" if not text else "empty file (whitespace only)")
    sample = text[:8192]
    controls = sum(1 for c in sample if unicodedata.category(c) == "Cc" and c not in "\n\r\t\f")
    if controls > 0.05 * len(sample):
        raise ArticleError("binary file (too many control characters), not text")
    return text


def _make_article(path: Path, root: Path, title: str, text: str, *, published: str | None = None,
                  url: str | None = None) -> Article:
    text, title = normalize_text(text), " ".join(title.split())
    first, _, rest = text.partition("\n")
    if title and rest.strip() and " ".join(first.split()).casefold() == title.casefold():
        text = rest.strip()  # a page's heading repeats its title: as body text it would be the article's lead
    if not text:
        raise ArticleError("no article text")
    rel = relative_source(path, root)
    return Article(id=article_id_for(rel), title=title or _pretty_stem(path), text=text, source=rel,
                   url=url or None, published=published,
                   language=detect_language(f"{title}\n{text}"))


def read_txt(path: Path, root: Path, *, max_bytes: int = MAX_BYTES) -> ReadResult:
    """Plain text. Title = the first line when it is short and either followed by a blank line or
    not ended like a sentence (a headline); else the prettified file name. Date from the file name
    or the first 300 characters."""
    text = normalize_text(read_text_file(path, max_bytes))
    first, _, rest = text.partition("\n")
    title = ""
    headline = rest.startswith("\n") or not first.rstrip().endswith((".", "!", "?", ":", ";", ",", '"'))
    if len(first) <= 200 and rest.strip() and headline:
        title, text = first, rest
    published = find_date(path.name) or find_date((title + "\n" + text)[:300])
    return [_make_article(path, root, title, text, published=published)], []


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
    """Remove basic markdown markup: headings, emphasis, links, images, code, quotes, rules.

    Every pattern runs in linear time: a span stops at the next delimiter it could close on, so a line
    of 100,000 unclosed "**a " or "[" cannot stall a build (it took minutes with ``.+?``).
    """
    closed = text.rfind("-->") + 3  # a comment needs a closing somewhere after it; a stray "<!--" stays
    if closed > 2:
        text = re.sub(r"<!--.*?-->", "", text[:closed], flags=re.S) + text[closed:]
    text = re.sub(r"!\[([^\[\]\n]*)\]\([^()\n]*\)", r"\1", text)
    text = re.sub(r"\[([^\[\]\n]+)\]\([^()\n]*\)", r"\1", text)
    text = re.sub(r"^ {0,3}(?:[-*_][ \t]*){3,}$", "", text, flags=re.M)
    text = re.sub(r"^ {0,3}#{1,6}[ \t]+(.*)$", lambda m: _heading_text(m.group(1)), text, flags=re.M)
    text = re.sub(r"^ {0,3}>[ \t]?", "", text, flags=re.M)
    text = re.sub(r"^([ \t]*)[*+][ \t]+", r"\1- ", text, flags=re.M)
    text = re.sub(r"\*\*(?=\S)((?:[^*\n]|\*(?!\*))+?)(?<=\S)\*\*", r"\1", text)
    text = re.sub(r"__(?=\S)((?:[^_\n]|_(?!_))+?)(?<=\S)__", r"\1", text)
    text = re.sub(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])", r"\1", text)
    return re.sub(r"`+([^`]*)`+", r"\1", text)


def _heading_text(rest: str) -> str:
    """A heading's text without trailing blanks and closing hashes ("Title ##" -> "Title")."""
    text = rest.rstrip(" \t")
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1] in " \t"):
        text = bare.rstrip(" \t")
    return text


def read_markdown(path: Path, root: Path, *, max_bytes: int = MAX_BYTES) -> ReadResult:
    """Markdown with optional ``---`` front matter (title, date/published, url)."""
    meta, body = _parse_front_matter(normalize_text(read_text_file(path, max_bytes)))
    title = meta.get("title", "")
    heading = None if title else re.search(r"^#[ \t]+(\S.*)$", body, re.M)
    if heading:
        title = _heading_text(heading.group(1))
        if not body[:heading.start()].strip():  # a leading heading is the title, not body text
            body = body[heading.end():]
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
        raise MissingPackage(f"reading HTML needs trafilatura: pip install trafilatura ({exc})") from exc
    html = read_text_file(path, max_bytes)
    try:
        doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False,
                                          include_tables=True)
    except Exception as exc:  # trafilatura/lxml may choke on broken markup
        raise ArticleError(f"could not parse HTML ({type(exc).__name__}: {exc})") from exc
    if doc is not None and not isinstance(doc, dict):
        doc = doc.as_dict()
    doc = doc or {}
    text = (doc.get("text") or "").strip()
    if len(text) < MIN_HTML_TEXT:  # broken markup often leaves a stray word or two
        detail = f" (only {len(text)} characters extracted)" if text else ""
        raise ArticleError(f"no article text found in HTML{detail}")
    title = doc.get("title") or ""
    if not title:
        tag = re.search(r"<title[^>]*>(.*?)</title>", html, re.I | re.S)
        title = html_lib.unescape(re.sub(r"<[^>]+>", "", tag.group(1))) if tag else ""
    published = find_date(str(doc.get("date") or "")) or find_date(path.name)
    return [_make_article(path, root, title, text, published=published, url=doc.get("url"))], []


def _page_text(page, path: Path, number: int) -> str:
    try:
        return (page.extract_text() or "").strip()
    except Exception as exc:  # noqa: BLE001 - one damaged page must not lose the others
        logger.warning("%s: page %d skipped (%s: %s)", path, number, type(exc).__name__, exc)
        return ""


def read_pdf(path: Path, root: Path, *, max_bytes: int = MAX_BYTES) -> ReadResult:
    """PDF: text of all pages (pypdf) joined by blank lines; title from metadata or first line."""
    try:
        import pypdf
    except ImportError as exc:
        raise MissingPackage(f"reading PDF needs pypdf: pip install pypdf ({exc})") from exc
    data = _read_bytes(path, max_bytes)
    if not data.strip():
        raise ArticleError("empty file")
    if b"%PDF-" not in data[:1024]:
        raise ArticleError("not a valid PDF (no %PDF header)")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        locked = reader.is_encrypted and not reader.decrypt("")
        pages = [] if locked else list(reader.pages)
        meta_title = None if locked or not reader.metadata else reader.metadata.title
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        raise ArticleError(f"not a valid PDF ({type(exc).__name__}: {exc})") from exc
    if locked:
        raise ArticleError("encrypted PDF (password required)")
    text = normalize_text("\n\n".join(_page_text(page, path, n) for n, page in enumerate(pages, 1)))
    if not text:
        raise ArticleError("no extractable text (scanned PDF?)")
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
    """Validate one decoded JSONL value; raise ArticleError with the reason if unusable."""
    if not isinstance(obj, dict):
        raise ArticleError(f"not a JSON object (got {type(obj).__name__})")
    raw_id = obj.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)) or not str(raw_id).strip():
        raise ArticleError("missing or empty 'id' (must be a non-empty string or integer)")
    if "title" not in obj:
        raise ArticleError("missing 'title' (use \"\" if there is none)")
    for key in ("title", "text", "published", "url", "source"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise ArticleError(f"'{key}' must be a string, got {type(obj[key]).__name__}")
    text = normalize_text(obj.get("text") or "")
    if not text:
        raise ArticleError("missing or empty 'text'")
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
    lines = read_text_file(path, max_bytes).replace("\r\n", "\n").split("\n")
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(f"{rel}:{lineno}", f"invalid JSON: {exc.msg} (column {exc.colno})"))
            continue
        except RecursionError:
            problems.append(Problem(f"{rel}:{lineno}", "invalid JSON: nested too deeply"))
            continue
        try:
            article = _jsonl_article(obj, rel)
            if article.id in seen:
                raise ArticleError(f"duplicate id '{article.id}' (first on line {seen[article.id]})")
        except ValueError as exc:
            problems.append(Problem(f"{rel}:{lineno}", str(exc)))
            continue
        seen[article.id] = lineno
        articles.append(article)
    return articles, problems


READERS: dict[str, Callable[..., ReadResult]] = {
    ".txt": read_txt, ".md": read_markdown, ".markdown": read_markdown, ".html": read_html,
    ".htm": read_html, ".jsonl": read_jsonl, ".pdf": read_pdf,
}
SUPPORTED = ", ".join(sorted(READERS))  # for messages: ".htm, .html, .jsonl, ..."
