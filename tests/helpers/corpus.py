"""The sample corpus, settings for a test index, and small corpora the indexing tests write on the fly."""
from __future__ import annotations

from pathlib import Path

from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_ARTICLES = ROOT / "articles"
SAMPLE_QUESTIONS = ROOT / "tests" / "sample_questions.json"  # question, language, file, answer

ARTICLES = {
    "gempa.md": "---\ntitle: Gempa di Cianjur\ndate: 2026-01-05\n---\nGempa berkekuatan 5,6 mengguncang Cianjur. "
                "Sebanyak 1.200 rumah rusak ringan.",
    "pasar.md": "---\ntitle: Pasar Terapung Banjarmasin\ndate: 2026-02-01\n---\nPasar terapung Lok Baintan ramai "
                "dikunjungi wisatawan. Pedagang menjual buah dari perahu.",
    "bridge.md": "---\ntitle: New Bridge Opens\ndate: 2026-03-03\n---\nThe new suspension bridge opened to traffic "
                 "on Monday. It is 1,400 metres long.",
}
# Added by the update the crash-safety tests kill (ARTICLES is the build before it).
NEW_ARTICLES = {
    "kereta.md": "---\ntitle: Kereta Cepat\ndate: 2026-04-01\n---\nKereta cepat melaju 350 km per jam. "
                 "Perjalanan Jakarta ke Bandung kini 45 menit. Tiket kelas ekonomi dijual Rp 150.000. "
                 "Penumpang pertama tiba pukul 08.00 di Stasiun Padalarang. Operator menambah empat perjalanan "
                 "pada akhir pekan. Kereta pengumpan menghubungkan Padalarang dengan pusat kota Bandung.",
    "flood.md": "---\ntitle: Flood Warning in Jakarta\ndate: 2026-04-02\n---\nHeavy rain flooded 40 "
                "neighbourhoods in Jakarta. Officials opened 12 shelters for families. Schools closed on "
                "Tuesday. The river rose by two metres overnight. Pumps were moved to the eastern districts. "
                "Forecasters expect more rain until Friday.",
}
# A question only the build of ARTICLES answers, and one only the update answers: (query, article id prefix).
OLD_QUESTION = ("suspension bridge opened to traffic 1,400 metres", "bridge")
NEW_QUESTION = ("kereta cepat Jakarta Bandung 45 menit", "kereta")


def make_settings(tmp_path: Path, **values) -> Settings:
    """Settings isolated from the caller's RAG_* environment, with the index under ``tmp_path``."""
    return Settings.load({"index_dir": tmp_path / "index", **values}, env={})


def write(folder: Path, files: dict[str, str]) -> None:
    """Write ``files`` (name -> text) into ``folder``, created if missing."""
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
