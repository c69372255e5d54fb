"""Lab: questions asked in the other language than their article's (an English question about an Indonesian
article, or the reverse). news-real's answerable questions, translated by hand (below; gold answers and
articles unchanged), are run through retrieval and the evidence step: how often the weak-evidence gate
(``min_answerability``, lexical) lets them through, and whether the best sentence by the lexical ranking or by
the embedder's query-sentence cosine holds the gold (first, or among three), with the seconds the sentence
embeddings take. ``--answers``: the same questions answered end to end (a question refused on weak evidence is
asked again in its articles' language, rag.answer.translation): how many answers are shown, how many of them
hold the gold, and the seconds.

    python -m bench.experiments.cross_language [--answers [--untranslated]]
"""
from __future__ import annotations

import json
import logging
import sys
import time

import numpy as np

from bench.common import EVAL_DIR, OUT_DIR, index_eval_set
from rag.answer.evidence import rank_evidence
from rag.answer.pipeline import Pipeline, trusted_passages
from rag.embed.factory import embedder_for
from rag.eval.matching import holds_answer
from rag.retrieve.retriever import Retriever
from rag.settings import Settings

TRANSLATED = {
    "news-2": "How many special investigators did the police deploy to investigate the theft at the Louvre?",
    "news-5": "How many cultural heritage items were stolen from the Louvre Museum?",
    "news-8": "What is the name of the new political party Elon Musk announced?",
    "news-10": "Apa nama komputer genggam yang dipakai murid di sekolah Mbita Point?",
    "news-14": "Di kota mana di AS Yukos mengajukan gugatan dan kasus kebangkrutannya?",
    "news-15": "When is Indonesia targeted to stop importing salt entirely?",
    "news-18": "In 2024, how many hypertension patients were treated at primary health facilities?",
    "news-19": "Which toll road was used to trial non-stop toll payment (MLFF)?",
    "news-20": "Berapa banyak minyak mentah Rusia yang rencananya dibeli Indonesia hingga akhir 2026?",
    "news-23": "Ke level berapa Reserve Bank of Australia menaikkan suku bunga acuannya?",
    "news-24": "What is the estimated national salt demand for 2025?",
    "news-31": "Which team knocked Italy out in the 2018 World Cup play-off?",
    "news-32": "In what year is IKN targeted to become the political capital?",
    "news-33": "How many teachers did UNRWA involve in the school programme in Gaza?",
    "news-34": "Which court rejected Kopda Bazarsah's appeal?",
    "news-37": "What was China's debt-to-GDP ratio in the first quarter of 2019?",
    "news-39": ("How much did BPJS Kesehatan spend in 2024 on treating chronic diseases such as diabetes and "
                "hypertension?"),
    "news-41": "What was Viktor Gyokeres's transfer fee from Sporting CP?",
    "news-47": "How much B40 biodiesel had been realised by September 2025?",
    "news-48": "Kenapa Yuganskneftegas dijual lewat lelang?",
    "news-50": "Siapa warga Skotlandia pertama yang dipastikan menjadi korban tsunami Asia?",
    "news-53": "Bek City mana yang mencetak gol bunuh diri dalam kekalahan derby 2-0 dari Manchester United?",
    "news-55": "How many participants took part in the food safety training across Bandung Regency?",
    "news-57": "Since what date have educational activities in Gaza stopped?",
    "news-63": "How many SPPG kitchens are already active in Bandung Regency?",
    "news-69": "How many Way Kanan police officers died after being shot by Kopda Bazarsah?",
    "news-75": "Who did PUMA SE sue over the cat logo trademark?",
    "news-76": "How long was the traffic jam caused by the flood on the Semarang-Demak Pantura road?",
    "news-78": "What innovation won UII students a gold medal in South Korea?",
    "news-82": "Berapa warga Skotlandia yang tewas dalam tsunami menurut menteri pertama?",
    "news-83": "Which river overflowed and caused the flood in Purabaya, Sukabumi?",
    "news-85": "Who scored Arsenal's first goal against Atletico Madrid?",
    "news-87": "Siapa penulis novel yang memenangi penghargaan fiksi di US National Book Awards?",
    "news-88": "Why did many motorbikes stall while driving through the flood on Jalan Kaligawe?",
    "news-89": "In which village did the landslide that hit Ibu Itoh's house in Cisolok happen?",
    "news-92": "At what event did Ecolab first introduce its 3D Trasar cooling technology?",
    "news-93": "How much foreign exchange could be saved thanks to the B40 programme?",
}


def translated_questions() -> list[tuple[str, list[str]]]:
    """news-real's answerable questions in the other language: (question, gold answers)."""
    items = [json.loads(line) for line in
             (EVAL_DIR / "news-real" / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    return [(TRANSLATED[item["id"]], item["answers"]) for item in items if item["id"] in TRANSLATED and item["answers"]]


def answers(pipeline: Pipeline) -> None:
    """The translated questions answered end to end: shown, right, read in the articles' language, seconds."""
    rows = []
    for text, golds in translated_questions():
        answer = pipeline.ask(text)
        shown = answer.refusal is None
        rows.append((shown, shown and holds_answer(answer.text, golds), answer.read_as is not None,
                     answer.timings.total))
        print(f"{'right' if rows[-1][1] else 'shown' if shown else 'refused'} {answer.timings.total:.1f}s | {text} | "
              f"confidence {answer.confidence} | read as {answer.read_as!r} | {answer.text[:100]!r}", flush=True)
    count, right = sum(r[0] for r in rows), sum(r[1] for r in rows)
    print(f"answer precision {right / (count or 1):.3f} ({right} of {count} shown) | coverage {right / len(rows):.3f} "
          f"| read in the articles' language {sum(r[2] for r in rows)} | total p50 "
          f"{sorted(r[3] for r in rows)[len(rows) // 2]:.2f} s ({len(rows)} q)")


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    embedder = embedder_for(Settings.load({}))
    settings = index_eval_set("news-real", EVAL_DIR, OUT_DIR, embedder)
    pipeline = Pipeline(settings, Retriever(settings, embedder))
    if "--answers" in sys.argv[1:]:
        if "--untranslated" in sys.argv[1:]:  # as before rag.answer.translation: never asked in another language
            pipeline._in_their_language = lambda reading: None  # type: ignore[method-assign]
        answers(pipeline)
        return
    rows: list[dict[str, float]] = []
    for text, golds in translated_questions():
        asked = pipeline.understand(text, [])
        found = pipeline.retriever.retrieve(asked, None)
        ranking = rank_evidence(asked, trusted_passages(found.hits), found.idf)
        sentences = [e.text for e in ranking.sentences]
        started = time.perf_counter()
        cosines = embedder.encode(sentences) @ embedder.encode_query(asked.text) if sentences else np.zeros(0)
        seconds = time.perf_counter() - started
        dense = [sentences[i] for i in np.argsort(-cosines)]
        rows.append({"gate": ranking.answerability >= settings.min_answerability,
                     "lexical": holds_answer(sentences[0], golds) if sentences else False,
                     "lexical3": any(holds_answer(s, golds) for s in sentences[:3]),
                     "dense": holds_answer(dense[0], golds) if dense else False,
                     "dense3": any(holds_answer(s, golds) for s in dense[:3]), "seconds": seconds})
        print(f"answerability {ranking.answerability:.2f}, gold in the lexical best "
              f"{rows[-1]['lexical']:d} (of 3: {rows[-1]['lexical3']:d}), the cosine best {rows[-1]['dense']:d} "
              f"(of 3: {rows[-1]['dense3']:d}) | {asked.text}", flush=True)
    count = len(rows) or 1
    print(" | ".join(f"{key} {sum(r[key] for r in rows) / count:.2f}"
                     for key in ("gate", "lexical", "lexical3", "dense", "dense3"))
          + f" | sentence embeddings p50 {sorted(r['seconds'] for r in rows)[len(rows) // 2]:.2f} s ({len(rows)} q)")


if __name__ == "__main__":
    main()
