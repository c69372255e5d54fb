"""The `rag` command end to end, as a user runs it (subprocesses, real models)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from tests.helpers.corpus import SAMPLE_ARTICLES
from tests.helpers.processes import free_port, guarded_env, hears_ctrl_c, stops_on_ctrl_c, wait_for_port

BAD_FILES = {
    "kosong.txt": b"",
    "spasi.md": b"   \n\n  ",
    "gambar.txt": bytes(range(256)) * 20,
    "rusak.html": b"<html><p>unclosed <div><b>",
    "baris.jsonl": b'{"id": "a1", "title": "", "text": "Teks yang sah."}\n{not json\n',
    "palsu.pdf": b"this is not a pdf",
    "catatan.docx": b"PK\x03\x04",
    "besar.txt": b"kata " * 300_000,
}


def rag(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = guarded_env()
    result = subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True,
                            env=env, timeout=600)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    corpus = tmp / "articles"
    shutil.copytree(SAMPLE_ARTICLES, corpus)
    (corpus / "latin1.txt").write_bytes("Caf\xe9 baru di Bandung\n\nKafe itu dibuka pada Senin.".encode("latin-1"))
    for name, data in BAD_FILES.items():
        (corpus / name).write_bytes(data)
    flags = ["--index-dir", str(tmp / "index"), "--max-file-mb", "1"]
    return corpus, flags, rag("index", str(corpus), *flags)


@pytest.mark.model
def test_index_reports_every_bad_file_by_name_and_goes_on(built):
    corpus, flags, result = built
    for name in ["kosong.txt", "spasi.md", "gambar.txt", "rusak.html", "baris.jsonl:2", "palsu.pdf",
                 "catatan.docx", "besar.txt"]:
        assert f"skipped {name}: " in result.stderr, name
    assert "too large" in result.stderr and "unsupported file type '.docx'" in result.stderr
    assert "added 12," in result.stdout  # 10 sample articles + the Latin-1 file + the good JSONL line
    again = rag("index", str(corpus), *flags)
    assert "unchanged 12 (not re-embedded)" in again.stdout and "0 chunks embedded" in again.stdout


@pytest.mark.model
def test_info_and_search(built):
    _, flags, _ = built
    info = rag("info", *flags).stdout
    assert "articles:   12" in info and "multilingual-e5-small (dimension 384)" in info and "signature:" in info
    out = rag("search", "Berapa harga beras medium per kilogram?", "-k", "2", *flags).stdout
    assert out.startswith("1. Harga Beras Medium") and "dense" in out and "bm25" in out
    empty = rag("search", "\u200b", *flags, check=False)
    assert empty.returncode == 2 and empty.stderr == "error: the question is empty\n"


@pytest.mark.model
def test_ask_streams_the_evidence_then_the_checked_answer(built):
    _, flags, _ = built
    out = rag("ask", "Berapa harga beras medium per kilogram?", *flags).stdout  # the default model: it is checked
    assert out.startswith("evidence [1] Harga Beras Medium") and "14.500" in out
    assert "Citations:" in out and "(retrieval " in out


@pytest.mark.model
def test_ask_about_one_article_summarises_it_in_cited_points(built):
    _, flags, _ = built
    found = rag("search", "banjir Demak", "-k", "1", *flags).stdout
    match = re.search(r"\[([^,\]]+), chars", found)
    assert match, found
    article = match.group(1)
    out = rag("ask", "Ringkas artikel ini", "--article", article, *flags).stdout
    points = [line for line in out.splitlines() if line.startswith("- ")]
    assert len(points) >= 3 and all(line.endswith("[1]") for line in points) and "4.000 warga" in out
    assert f"[1] Banjir Rendam 12 Desa di Demak, 4.000 Warga Mengungsi (2026-01-20), {article}" in out
    unknown = rag("ask", "Ringkas artikel ini", "--article", "tidak-ada", *flags, check=False)
    assert unknown.returncode == 2 and "no article 'tidak-ada' in the index" in unknown.stderr


@pytest.mark.slow  # four `rag` processes
def test_clear_errors(tmp_path):
    missing = rag("index", str(tmp_path / "nope"), "--index-dir", str(tmp_path), check=False)
    assert missing.returncode == 2 and "article folder not found" in missing.stderr
    unbuilt = rag("search", "apa", "--index-dir", str(tmp_path / "empty"), check=False)
    assert unbuilt.returncode == 2 and "rag index" in unbuilt.stderr
    model = rag("index", "--embed-model", str(tmp_path / "no-model"), "--index-dir", str(tmp_path),
                "--articles-dir", str(SAMPLE_ARTICLES), check=False)
    assert model.returncode == 2 and "RAG_EMBED_MODEL" in model.stderr
    help_text = rag("--help").stdout
    assert "rag index articles/" in help_text


@pytest.mark.model
def test_rag_serve_stops_on_ctrl_c_within_a_second_while_the_cpus_are_busy(sample_settings, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(sample_settings.index_dir, index_dir, ignore=shutil.ignore_patterns("chats.sqlite*"))
    port = free_port()
    with open(tmp_path / "serve.log", "w+") as log:
        process = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", "--port", str(port), "--index-dir",
                                    str(index_dir), "--articles-dir", str(sample_settings.articles_dir)],
                                   stdout=log, stderr=subprocess.STDOUT, text=True, env=guarded_env(),
                                   preexec_fn=hears_ctrl_c)
        try:
            wait_for_port(port, process, log, "rag serve")
            stops_on_ctrl_c(process)
        finally:
            if process.poll() is None:
                process.kill()
        log.seek(0)
        assert log.read().rstrip().endswith("stopped serving")
