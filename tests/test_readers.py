"""Readers and folder loading: every format, and every kind of bad input reported, not raised."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from rag.ingest.articles import load_file, load_folder
from rag.ingest.readers import (
    READERS,
    article_id_for,
    find_date,
    normalize_text,
    read_html,
    read_jsonl,
    read_markdown,
    read_pdf,
    read_text_file,
    read_txt,
)
from tests.helpers.files import HTML_PAGE, make_pdf

# ---------------------------------------------------------------- single formats

def test_txt_title_date_and_id(tmp_path: Path) -> None:
    path = tmp_path / "banjir-demak-2026-01-20.txt"
    path.write_text("Banjir Demak Meluas  \r\n\r\nRibuan warga mengungsi   \r\n\r\n\r\n\r\n"
                    "Tanggul jebol di Demak dan warga dievakuasi ke tempat yang aman.\r\n",
                    encoding="utf-8")
    articles, problems = read_txt(path, tmp_path)
    assert problems == []
    (art,) = articles
    assert art.title == "Banjir Demak Meluas"
    assert art.text == ("Ribuan warga mengungsi\n\n"
                        "Tanggul jebol di Demak dan warga dievakuasi ke tempat yang aman.")
    assert art.published == "2026-01-20"
    assert art.source == "banjir-demak-2026-01-20.txt"
    assert art.language == "id"
    assert art.id.startswith("banjir-demak-2026-01-20-") and len(art.id.rsplit("-", 1)[1]) == 6
    # The id depends on the path only, not on the content.
    path.write_text("Judul lain\n\nIsi yang berbeda sama sekali.", encoding="utf-8")
    assert read_txt(path, tmp_path)[0][0].id == art.id


def test_txt_without_title_line_and_date_in_text(tmp_path: Path) -> None:
    sub = tmp_path / "en"
    sub.mkdir()
    path = sub / "marathon_story.txt"
    path.write_text("The Jakarta marathon started on February 12, 2026 and thousands of runners "
                    "took part in the race.\nIt was the biggest edition so far.", encoding="utf-8")
    (art,), _ = read_txt(path, tmp_path)
    assert art.title == "Marathon Story"
    assert art.text.startswith("The Jakarta marathon")
    assert art.published == "2026-02-12"
    assert art.source == "en/marathon_story.txt"
    assert art.language == "en"


def test_txt_headline_without_blank_line(tmp_path: Path) -> None:
    path = tmp_path / "korut.txt"
    path.write_text("Pasukan Korut Bantu Tentara Rusia\nPada 26 Oktober 2024, pasukan Korea Utara "
                    "mulai membantu tentara Rusia.\nReaksi dunia beragam.", encoding="utf-8")
    (art,), _ = read_txt(path, tmp_path)
    assert art.title == "Pasukan Korut Bantu Tentara Rusia"
    assert art.text.startswith("Pada 26 Oktober 2024") and art.published == "2024-10-26"


def test_find_date_variants() -> None:
    assert find_date("Jakarta, 12 Februari 2026 - Harga naik") == "2026-02-12"
    assert find_date("JAKARTA (12 February 2026)") == "2026-02-12"
    assert find_date("Posted February 12, 2026") == "2026-02-12"
    assert find_date("Rabu, 3 Agustus 2025") == "2025-08-03"
    assert find_date("2026-13-45 bukan tanggal, 2026-03-14 tanggal") == "2026-03-14"
    assert find_date("tidak ada tanggal") is None


def test_markdown_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "harga.md"
    path.write_text('---\ntitle: "Harga Beras Naik"\ndate: 2026-03-14T09:00:00+07:00\n'
                    "url: https://example.com/harga\nsource: Kompas\n---\n\n"
                    "# Harga Beras Naik\n\nHarga **beras** naik menjadi *Rp 15.000* per kilogram, "
                    "menurut [data BPS](https://bps.go.id) yang dirilis pada hari ini.\n",
                    encoding="utf-8")
    (art,), problems = read_markdown(path, tmp_path)
    assert problems == []
    assert art.title == "Harga Beras Naik"
    assert art.published == "2026-03-14"
    assert art.url == "https://example.com/harga"
    assert "**" not in art.text and "](" not in art.text and "#" not in art.text
    assert "Harga beras naik menjadi Rp 15.000 per kilogram, menurut data BPS" in art.text
    assert art.language == "id"


def test_markdown_heading_title_without_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "note.markdown"
    path.write_text("# Marathon Record Broken #\n\nThe record was broken by a _young_ runner.\n\n"
                    "## Reactions\n\n> It was *amazing*, said a fan.\n\n* one snake_case item\n",
                    encoding="utf-8")
    (art,), _ = read_markdown(path, tmp_path)
    assert art.title == "Marathon Record Broken"
    assert art.text == ("The record was broken by a young runner.\n\nReactions\n\n"
                        "It was amazing, said a fan.\n\n- one snake_case item")


def test_html_main_text_without_boilerplate(tmp_path: Path) -> None:
    path = tmp_path / "banjir.html"
    path.write_text(HTML_PAGE, encoding="utf-8")
    (art,), problems = read_html(path, tmp_path)
    assert problems == []
    assert "Banjir" in art.title
    assert art.text.startswith("Banjir yang melanda")  # the page's <h1> repeats the title: not body text
    assert "4.000 warga" in art.text and "Sungai Wulan" in art.text
    assert "Kebijakan Privasi" not in art.text and "Beranda" not in art.text
    assert art.published == "2026-01-20"
    assert art.language == "id"


def test_jsonl_good_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "kiriman.jsonl"
    good = {"id": "a1", "title": "Harga beras", "text": "Harga beras naik di pasar.",
            "published": "2026-03-14", "url": "https://x.id/a1", "source": "Antara"}
    lines = [
        json.dumps(good),                                         # 1 ok
        "{not json",                                              # 2 invalid JSON
        "[1, 2]",                                                 # 3 not an object
        json.dumps({"title": "t", "text": "x"}),                  # 4 no id
        json.dumps({"id": "b", "title": "t", "text": "  "}),      # 5 empty text
        json.dumps({"id": "c", "title": 5, "text": "x"}),         # 6 wrong type
        "",                                                       # 7 blank: ignored
        json.dumps({"id": "a1", "title": "", "text": "again"}),   # 8 duplicate id
        json.dumps({"id": 7, "title": "", "text": "The rain stopped in the city."}),  # 9 ok
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    articles, problems = read_jsonl(path, tmp_path)
    assert [a.id for a in articles] == ["a1", "7"]
    first = articles[0]
    assert first.source == "kiriman.jsonl#a1" and first.published == "2026-03-14"
    assert first.url == "https://x.id/a1" and first.language == "id"
    assert articles[1].title == "" and articles[1].language == "en"
    where = {p.source: p.reason for p in problems}
    assert set(where) == {f"kiriman.jsonl:{n}" for n in (2, 3, 4, 5, 6, 8)}
    assert where["kiriman.jsonl:2"].startswith("invalid JSON")
    assert "object" in where["kiriman.jsonl:3"]
    assert "'id'" in where["kiriman.jsonl:4"]
    assert "'text'" in where["kiriman.jsonl:5"]
    assert "'title'" in where["kiriman.jsonl:6"]
    assert "duplicate" in where["kiriman.jsonl:8"]


def test_pdf_text_and_title(tmp_path: Path) -> None:
    path = tmp_path / "laporan.pdf"
    path.write_bytes(make_pdf(["Laporan Banjir Demak", "Banjir melanda Demak dan warga mengungsi.",
                               "Pemerintah menyiapkan dapur umum."]))
    (art,), problems = read_pdf(path, tmp_path)
    assert problems == []
    assert art.title == "Laporan Banjir Demak"
    assert "Banjir melanda Demak" in art.text and "dapur umum" in art.text
    assert art.language == "id"
    path2 = tmp_path / "with-meta.pdf"
    path2.write_bytes(make_pdf(["The flood hit the city and people fled."], title="Flood Report"))
    (art2,), _ = read_pdf(path2, tmp_path)
    assert art2.title == "Flood Report" and "flood hit the city" in art2.text


def test_latin1_and_invalid_utf8_decode(tmp_path: Path) -> None:
    path = tmp_path / "cafe.txt"
    path.write_bytes("Caf\u00e9 baru dibuka di Jakarta dan ramai pengunjung.".encode("latin-1"))
    assert read_text_file(path).startswith("Caf\u00e9 baru")
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbfHalo dunia")
    assert read_text_file(bom) == "Halo dunia"


def test_normalize_text() -> None:
    assert normalize_text("  a  \r\nb\t\r\n\r\n\r\n\r\nc  ") == "a\nb\n\nc"


def test_article_id_is_path_based_slug() -> None:
    a = article_id_for("2026/Banjir Demak (Update).txt")
    assert a.startswith("banjir-demak-update-")
    assert a == article_id_for("2026/Banjir Demak (Update).txt")
    assert a != article_id_for("2025/Banjir Demak (Update).txt")


def test_readers_registry() -> None:
    assert set(READERS) == {".txt", ".md", ".markdown", ".html", ".htm", ".jsonl", ".pdf"}


# ---------------------------------------------------------------- a folder of good and bad files

@pytest.fixture()
def messy_folder(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / ".hidden").mkdir()
    (root / ".hidden" / "secret.txt").write_text("should be skipped", encoding="utf-8")
    (root / ".DS_Store").write_bytes(b"\x00\x01junk")
    (root / "good.txt").write_text("Judul Baik\n\nIsi berita yang baik dan benar.", encoding="utf-8")
    (root / "sub" / "page.html").write_text(HTML_PAGE, encoding="utf-8")
    (root / "sub" / "catatan.md").write_text("---\ntitle: Catatan\n---\nIsi catatan di sini.",
                                             encoding="utf-8")
    (root / "laporan.pdf").write_bytes(make_pdf(["Laporan", "Isi laporan yang bisa dibaca."]))
    (root / "data.jsonl").write_text(
        json.dumps({"id": "j1", "title": "T", "text": "Berita dari JSONL."}) + "\n{oops\n",
        encoding="utf-8")
    (root / "latin1.txt").write_bytes("Berita tentang caf\u00e9 di Bandung.".encode("latin-1"))
    (root / "invalid-utf8.txt").write_bytes(b"Harga naik \xff\xfe\xfa tajam hari ini.")
    # Bad ones:
    (root / "empty.txt").write_bytes(b"")
    (root / "blank.md").write_text("   \n\n\t  \n", encoding="utf-8")
    (root / "binary.txt").write_bytes(os.urandom(200) + b"\x00\x00" + os.urandom(200))
    (root / "broken.html").write_text("<html><p>unclosed <div><b>", encoding="utf-8")
    (root / "huge.txt").write_text("kata " * 1000, encoding="utf-8")
    (root / "notes.docx").write_bytes(b"PK\x03\x04 not supported")
    (root / "fake.pdf").write_text("This is not really a PDF file.", encoding="utf-8")
    (root / "sub" / "all-bad.jsonl").write_text("{bad json\n", encoding="utf-8")
    (root / "trunc.pdf").write_bytes(make_pdf(["Some text"])[:60])
    return root


def test_load_folder_reports_every_bad_file(messy_folder: Path) -> None:
    result = load_folder(messy_folder, max_bytes=3000)
    sources = sorted(a.source for a in result.articles)
    assert sources == ["data.jsonl#j1", "good.txt", "invalid-utf8.txt", "laporan.pdf",
                       "latin1.txt", "sub/catatan.md", "sub/page.html"]
    latin = next(a for a in result.articles if a.source == "latin1.txt")
    assert "caf\u00e9" in latin.text
    reasons = {p.source: p.reason for p in result.problems}
    assert set(reasons) == {"empty.txt", "blank.md", "binary.txt", "broken.html", "huge.txt",
                            "notes.docx", "fake.pdf", "sub/all-bad.jsonl:1", "data.jsonl:2",
                            "trunc.pdf"}
    assert reasons["empty.txt"] == "empty file"
    assert "empty file" in reasons["blank.md"]
    assert "binary" in reasons["binary.txt"]
    assert reasons["broken.html"].startswith("no article text found in HTML")
    assert reasons["huge.txt"].startswith("file too large (")
    assert "unsupported file type '.docx'" in reasons["notes.docx"] and ".jsonl" in reasons["notes.docx"]
    assert "not a valid PDF" in reasons["fake.pdf"]
    assert "not a valid PDF" in reasons["trunc.pdf"] or "no extractable text" in reasons["trunc.pdf"]
    assert reasons["data.jsonl:2"].startswith("invalid JSON")
    assert all(str(p).startswith(p.source + ": ") for p in result.problems)


def test_load_folder_order_is_sorted_and_stable(messy_folder: Path) -> None:
    first = load_folder(messy_folder, max_bytes=3000)
    second = load_folder(messy_folder, max_bytes=3000)
    assert [a.id for a in first.articles] == [a.id for a in second.articles]
    assert len({a.id for a in first.articles}) == len(first.articles)


def test_load_file_unknown_and_missing(tmp_path: Path) -> None:
    path = tmp_path / "x.xyz"
    path.write_text("hello", encoding="utf-8")
    articles, problems = load_file(path, tmp_path)
    assert articles == [] and "unsupported file type '.xyz'" in problems[0].reason
    articles, problems = load_file(tmp_path / "gone.txt", tmp_path)
    assert articles == [] and problems[0].source == "gone.txt"
    assert problems[0].reason.startswith("cannot read file")


def test_load_folder_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        load_folder(tmp_path / "nope")


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    for name in ("a.jsonl", "b.jsonl"):
        (tmp_path / name).write_text(json.dumps({"id": "same", "title": "", "text": "Teks."}),
                                     encoding="utf-8")
    result = load_folder(tmp_path)
    assert [a.source for a in result.articles] == ["a.jsonl#same"]
    assert result.problems[0].source == "b.jsonl#same" and "duplicate" in result.problems[0].reason
