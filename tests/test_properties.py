"""Generated bad input (hypothesis): readers, the chunker and folder loading never fail on what they are
given. Every file either becomes articles or is reported by name with a reason; one bad file never stops
a build. Examples per property are kept modest (60-100) so the file runs in under a minute."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rag.indexing.builder import build_index
from rag.ingest.articles import is_temporary, load_file, load_folder
from rag.ingest.readers import READERS, normalize_text
from rag.text.chunking import chunk_article, chunk_text, split_sentences
from rag.types import Article
from tests.helpers.corpus import make_settings
from tests.helpers.files import HTML_PAGE, make_pdf

EXAMPLES = 100
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example])
EXTENSIONS = [".txt", ".md", ".html", ".jsonl", ".pdf"]
LANGUAGES = {"id", "en", "und"}
GOOD_PDF = make_pdf(["Laporan Banjir", "Banjir melanda Demak dan ribuan warga mengungsi."])

# ---------------------------------------------------------------- strategies: file contents

random_bytes = st.binary(max_size=4000)
random_unicode = st.tuples(st.text(max_size=3000), st.sampled_from(["utf-8", "utf-16", "utf-8-sig"])).map(
    lambda te: te[0].encode(te[1]))
# One line of 20k-200k characters: a word, a sentence or markup repeated without a break. The sampled units
# once took minutes each (quadratic regexes in the markdown stripper and the sentence splitter).
PATHOLOGICAL = ["**a ", "*a ", "_a ", "[", "[x](", "![a](", "<!-- ", "?!", ".", "# x  ", "kata ", "<b>", "1.000,"]
huge_lines = st.tuples(st.text(min_size=1, max_size=12) | st.sampled_from(PATHOLOGICAL),
                       st.integers(20_000, 200_000)).map(lambda t: (t[0] * (t[1] // len(t[0]) + 1))[:t[1]].encode())

_TAGS = ["div", "p", "b", "i", "a", "span", "table", "tr", "td", "ul", "li", "article", "main", "script",
         "style", "iframe", "svg", "math", "template", "title", "head", "body", "html", "br", "!--", "![CDATA["]


def _element(parts: tuple) -> str:
    tag, attrs, children, close = parts
    inner = "".join(children)
    return f"<{tag}{attrs}>{inner}" + {0: "", 1: f"</{tag}>", 2: "</div></p>", 3: f"</{tag}"}[close]


_html_tree = st.recursive(
    st.text(max_size=60) | st.sampled_from(["Banjir melanda Demak dan ribuan warga mengungsi. ", "&amp;", "&#0;",
                                            "&bogus;", "<", ">", "-->", "]]>", "\x00"]),
    lambda children: st.tuples(st.sampled_from(_TAGS), st.sampled_from(["", " class=x", ' a="', " onload=x()"]),
                               st.lists(children, max_size=4), st.integers(0, 3)).map(_element),
    max_leaves=40)


def _nested(tag: str, depth: int, closed: bool) -> str:
    inner = "Banjir melanda Demak dan ribuan warga mengungsi hari ini."
    return f"<{tag}>" * depth + inner + (f"</{tag}>" * depth if closed else "")


# Trees of random, unclosed and misnested tags; pages nested thousands of levels deep; a real page cut short.
malformed_html = (_html_tree
                  | st.builds(_nested, st.sampled_from(["div", "b", "table", "span"]), st.integers(100, 5000),
                              st.booleans())
                  | st.integers(1, len(HTML_PAGE)).map(lambda n: HTML_PAGE[:n])).map(str.encode)


def _apply_edits(data: bytes, edits: list[tuple[int, int]]) -> bytearray:
    out = bytearray(data)
    for position, value in edits:
        out[position] = value
    return out


# .pdf files that are not PDFs: random bytes, a PDF header on garbage, a real PDF cut short or with bytes changed.
not_pdfs = (random_bytes | random_bytes.map(lambda b: b"%PDF-1.4\n" + b)
            | st.integers(0, len(GOOD_PDF) - 1).map(lambda n: GOOD_PDF[:n])
            | st.lists(st.tuples(st.integers(0, len(GOOD_PDF) - 1), st.integers(0, 255)), min_size=1, max_size=20).map(
                lambda edits: bytes(_apply_edits(GOOD_PDF, edits))))


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
    max_leaves=12)
_fields = st.sampled_from(["id", "title", "text", "published", "url", "source", "", "ID", "extra"])
_article_like = st.dictionaries(_fields, _json_values | st.text(max_size=200), max_size=7).map(json.dumps)
_jsonl_line = (_article_like | _json_values.map(json.dumps) | st.text(max_size=80)
               | st.integers(1, 100_000).map(lambda n: "[" * n + "]" * n)
               | st.just(json.dumps({"id": "ok", "title": "Judul", "text": "Isi berita yang baik."})))
# JSON Lines with wrong fields and types, non-objects, invalid JSON, deep nesting, duplicate ids, mixed newlines.
bad_jsonl = st.tuples(st.lists(_jsonl_line, min_size=1, max_size=12), st.sampled_from(["\n", "\r\n", "\r"])).map(
    lambda t: t[1].join(t[0]).encode())


# ---------------------------------------------------------------- readers: articles or a reason naming the file

def check_read(ext: str, data: bytes, name: str = "berita") -> None:
    """Read ``data`` as ``name + ext`` with its reader and with load_file; assert the contract."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / f"{name}{ext}"
        path.write_bytes(data)
        try:
            articles, problems = READERS[ext](path, root)
        except ValueError as exc:  # the reader's way of saying "this whole file is unusable"
            assert str(exc).strip()
            articles, problems = [], None
        for article in articles:
            check_article(article, path.name)
        for problem in problems or []:
            assert problem.source.startswith(f"{path.name}:") and problem.reason.strip()
        loaded, reported = load_file(path, root)
        assert [a.id for a in loaded] == [a.id for a in articles]
        assert loaded or reported, "a file must give articles or be reported"
        for problem in reported:
            assert problem.source.split(":")[0].split("#")[0] == path.name
            assert not problem.reason.startswith("unexpected error"), problem


def check_article(article: Article, file_name: str) -> None:
    assert article.id.strip() and article.text.strip()
    assert article.text == normalize_text(article.text)
    assert "\n" not in article.title and article.language in LANGUAGES
    assert article.source == file_name or article.source.startswith(f"{file_name}#")


@PROPERTY
@given(ext=st.sampled_from(EXTENSIONS), data=random_bytes)
def test_readers_on_random_bytes(ext, data):
    check_read(ext, data)


@PROPERTY
@given(ext=st.sampled_from(EXTENSIONS), data=random_unicode)
def test_readers_on_random_unicode(ext, data):
    check_read(ext, data)


@PROPERTY
@given(ext=st.sampled_from(EXTENSIONS), data=huge_lines)
@example(ext=".md", data=b"**a " * 50_000).via("quadratic emphasis stripping")
@example(ext=".md", data=b"[" * 100_000 + b"]" * 100_000).via("quadratic link stripping")
@example(ext=".md", data=b"<!-- " * 40_000).via("quadratic comment stripping")
@example(ext=".txt", data=b"?!" * 100_000).via("quadratic sentence splitting")
def test_readers_on_huge_lines(ext, data):
    check_read(ext, data)


@PROPERTY
@given(data=malformed_html, ext=st.sampled_from([".html", ".md", ".txt"]))
def test_readers_on_malformed_and_deeply_nested_html(data, ext):
    check_read(ext, data)


@PROPERTY
@given(data=not_pdfs)
def test_pdf_reader_on_files_that_are_not_pdfs(data):
    check_read(".pdf", data)


@PROPERTY
@given(data=bad_jsonl)
def test_jsonl_reader_on_wrong_fields_and_types(data):
    check_read(".jsonl", data)


# ---------------------------------------------------------------- chunker invariants

_pieces = st.sampled_from(["Banjir", "melanda", "Demak", "warga", "the", "city", "4.000", "49,07", "Rp", "Dr.", "H.",
                           "e.g.", "U.S.", "...", ".", "!", "?", "?!", ",", '"', "“", "”", "(", ")", " ", " ", "  ",
                           "\t", "\n", "\n\n", "\n\n\n", "Jl.", "dll.", "é", "漢字", "🙂", "\u200b", "\xa0"])
sentence_text = st.lists(_pieces | st.text(max_size=6), max_size=300).map("".join) | st.text(max_size=1500)


def check_chunks(text: str, spans: list[tuple[int, int]], target: int) -> None:
    """In order, each adding new text; non-empty, stripped, bounded; together covering every non-blank."""
    for (start, end), (next_start, next_end) in zip(spans, spans[1:]):
        assert start <= next_start and end < next_end  # an overlap may repeat a whole one-sentence chunk
    widest_gap = max((len(g) for g in "".join(c if c.isspace() else "|" for c in text).split("|")), default=0)
    covered = [False] * len(text)
    for start, end in spans:
        assert 0 <= start < end <= len(text)
        piece = text[start:end]
        assert piece.strip() and piece == piece.strip()  # non-empty, no surrounding whitespace
        assert end - start <= max(target, 2 * target + target // 2 + widest_gap)
        covered[start:end] = [True] * (end - start)
    assert all(covered[i] or c.isspace() for i, c in enumerate(text)), "text outside every chunk"


@settings(max_examples=100, deadline=None, derandomize=True)
@given(text=sentence_text, target=st.integers(1, 400), overlap=st.integers(0, 3))
def test_chunks_map_back_cover_the_text_and_stay_bounded(text, target, overlap):
    spans = chunk_text(text, target_chars=target, overlap_sentences=overlap)
    check_chunks(text, spans, target)
    assert chunk_text(text, target_chars=target, overlap_sentences=overlap) == spans  # deterministic
    if not text.strip():
        assert spans == []


@settings(max_examples=100, deadline=None, derandomize=True)
@given(text=sentence_text)
def test_sentences_are_ordered_disjoint_and_cover_the_text(text):
    spans = split_sentences(text)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert end <= start
    check_chunks(text, spans, target=len(text) or 1)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(text=sentence_text.map(normalize_text).filter(str.strip), target=st.integers(20, 800))
def test_article_chunks_are_slices_of_the_article(text, target):
    article = Article(id="a", title="T", text=text, source="a.txt")
    chunks = chunk_article(article, target_chars=target)
    assert chunks and [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert all(c.text == text[c.start:c.end] and c.article_id == "a" for c in chunks)


# ---------------------------------------------------------------- a folder of random files

_contents = random_bytes | random_unicode | malformed_html | not_pdfs | bad_jsonl | st.just(GOOD_PDF)
_names = st.text(st.characters(blacklist_characters="/\x00", blacklist_categories=["Cs"]), min_size=1,
                 max_size=24).filter(lambda n: len(n.encode()) < 200 and n not in (".", ".."))
_files = st.lists(st.tuples(st.booleans(), _names, st.sampled_from(EXTENSIONS + [".TXT", ".docx", ""]), _contents),
                  max_size=8, unique_by=lambda f: (f[0], f[1] + f[2]))


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(files=_files)
def test_load_folder_loads_or_reports_every_file_by_name(files):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        expected = {}
        for in_sub, name, ext, data in files:
            rel = f"sub/{name}{ext}" if in_sub else f"{name}{ext}"
            (root / rel).parent.mkdir(exist_ok=True)
            (root / rel).write_bytes(data)
            expected[rel] = not Path(rel).name.startswith(".") and not is_temporary(Path(rel).name)  # skipped
        result = load_folder(root)
        sources = [a.source for a in result.articles] + [p.source for p in result.problems]
        for rel, visible in expected.items():
            named = [s for s in sources if s == rel or s.startswith((f"{rel}#", f"{rel}:"))]
            assert bool(named) == visible, (rel, sources)
        assert len({a.id for a in result.articles}) == len(result.articles)
        assert not [p for p in result.problems if p.reason.startswith("unexpected error")]


# ---------------------------------------------------------------- one real build over good and hostile files

def test_build_indexes_every_good_article_and_reports_every_bad_file(tmp_path, embedder):
    from rag.library import indexed_articles
    from rag.retrieve.retriever import Retriever

    root = tmp_path / "articles"
    (root / "sub").mkdir(parents=True)
    good = {
        "pasar-apung.txt": "Pasar Apung Ramai\n\nPasar apung Lok Baintan di Banjarmasin ramai dikunjungi wisatawan.",
        "sub/marathon.md": "---\ntitle: Calder Marathon\n---\nThe Calder marathon raised money for the harbour clinic.",
        "page.html": HTML_PAGE,
        "laporan.pdf": GOOD_PDF,
        "kabar 漢字 🙂 \u202eberita.txt": "Kabar Unicode\n\nNama berkas ini memakai aksara lain dan emoji.",
        "satu-baris.txt": ("Garis panjang tanpa jeda tentang jembatan gantung " * 300).strip(),
    }
    bad = {
        "acak.txt": bytes(range(256)) * 8, "bukan.pdf": b"<html>bukan PDF</html>", "kosong.md": b"",
        "rusak.pdf": GOOD_PDF[:len(GOOD_PDF) // 2], "catatan.docx": b"PK\x03\x04",
        "dalam.html": b"<div>" * 3000 + b"x" + b"</div>" * 3000, "spasi.txt": b" \n\t\n ",
    }
    for rel, content in {**good, **bad}.items():
        (root / rel).write_bytes(content.encode() if isinstance(content, str) else content)
    lines = [json.dumps({"id": "j1", "title": "Jalan Tol", "text": "Jalan tol baru dibuka untuk umum pekan ini."}),
             json.dumps({"id": "j2", "title": 7, "text": "judul bukan teks"}), "{bukan json", json.dumps([1, 2]),
             json.dumps({"id": "j3", "title": "Tanpa teks"}), "[" * 50_000 + "]" * 50_000,
             json.dumps({"id": "j1", "title": "Lagi", "text": "id ganda"})]
    (root / "campuran.jsonl").write_text("\n".join(lines), encoding="utf-8")
    settings_ = make_settings(tmp_path, articles_dir=root)

    report = build_index(root, settings_, embedder)

    indexed = {row["sources"] for row in indexed_articles(settings_)}
    assert indexed == set(good) | {"campuran.jsonl#j1"}
    assert {p.source for p in report.problems} == set(bad) | {f"campuran.jsonl:{n}" for n in range(2, 8)}
    assert all(p.reason.strip() and not p.reason.startswith("unexpected") for p in report.problems)
    hits = Retriever(settings_, embedder).search("pasar apung Lok Baintan", k=1)
    assert hits and hits[0].title == "Pasar Apung Ramai"
