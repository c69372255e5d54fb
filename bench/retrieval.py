"""Retrieval benchmark on ../shared/eval: article-level recall@k / MRR of each leg and fusion.

For each eval set the articles are indexed (cached in bench/out/index-<set>, incremental), each
answerable question's dense and lexical legs are computed once, then fused many ways: RRF, the old
fixed-weight fusion (``fusion=weighted``), the adaptive fusion (``fusion=adaptive``, the default), a
sweep of dense weights, and a few experimental variants. Ends with the fusion target check (adaptive
>= the better leg on R@1, R@5 and MRR@10 on every set; no metric more than 0.005 below the old
default) and the time the fusion itself takes per query.

    python -m bench.retrieval                      # facqa-valid + xquad-en, first 300 questions each
    python -m bench.retrieval --full               # every set (adds idk-mrc-valid, tydiqa-id-valid), every question
    python -m bench.retrieval --sets tydiqa-id-valid --weights 0,0.2,0.4
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from collections import defaultdict
from pathlib import Path

import bm25s
import numpy as np

from bench.common import EVAL_DIR, OUT_DIR, index_eval_set
from rag.embed.base import Embedder
from rag.embed.factory import create_embedder
from rag.eval.metrics import answer_rank, article_rank, gold_aliases, gold_article, load_questions, ranking_metrics
from rag.indexing.lexical import LexicalIndex
from rag.retrieve.fusion import adaptive_fusion, weighted_fusion
from rag.retrieve.retriever import Retriever
from rag.settings import Settings
from rag.text.language import STOPWORDS, detect_language
from rag.text.query import make_query
from rag.text.tokens import tokenize

QUICK_SETS = ["facqa-valid", "xquad-en"]
ALL_SETS = ["facqa-valid", "xquad-en", "idk-mrc-valid", "tydiqa-id-valid"]
QUICK_LIMIT = 300
KS = (1, 5, 20)
# The main rows of every table; the fusion target compares NEW with the legs and with OLD.
DENSE, LEXICAL, OLD, NEW = "dense", "lexical", "fused: weighted (old default)", "fused: adaptive (new default)"
FUSED_DEFAULT = NEW  # the row that is the product's configured default (bench/experiments/baselines.py reports it)
TARGET_METRICS = ("recall@1", "recall@5", "mrr@10")
MAX_DROP = 0.005  # no metric of the new default may fall further than this below the old one
BM25_VARIANTS = [(1.2, 0.75), (0.9, 0.75), (0.9, 0.4), (1.5, 0.3)]  # bm25s / production default: k1=1.5, b=0.75
# Query-side extra stoplist for Indonesian, checked on stems: rag.text.tokens drops stopwords before
# stemming, so inflected ones survive ("ber|ada", "ter|dapat"); plus question-template words
# ("apa nama", "yang di|maksud", "di|sebut").
QUERY_NOISE = STOPWORDS["id"] | {"nama", "maksud", "sebut"}
Ranking = dict  # key (chunk id or article id) -> score


def rrf_fusion(dense: Ranking, lexical: Ranking, k: int = 60) -> Ranking:
    """Reciprocal-rank fusion: the baseline the benchmark compares against (the product does not use it)."""
    fused: Ranking = {}
    for leg in (dense, lexical):
        for rank, key in enumerate(sorted(leg, key=leg.__getitem__, reverse=True)):
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank + 1)
    return fused


# --- experimental fusion variants (candidates for rag/retrieve/fusion.py) -------------------------------
def zscore(scores: Ranking) -> Ranking:
    """(s - mean) / std over the candidates, shifted so the lowest candidate is 0 (absent = 0)."""
    if len(scores) < 2:
        return dict.fromkeys(scores, 1.0)
    mean, std = statistics.fmean(scores.values()), statistics.pstdev(scores.values()) or 1.0
    z = {key: (value - mean) / std for key, value in scores.items()}
    low = min(z.values())
    return {key: value - low for key, value in z.items()}


def zscore_fusion(dense: Ranking, lexical: Ranking, w: float) -> Ranking:
    dz, lz = zscore(dense), zscore(lexical)
    return {key: w * dz.get(key, 0.0) + (1 - w) * lz.get(key, 0.0) for key in dz.keys() | lz.keys()}


def drop_noise(query: str, language: str) -> str:
    """The query without words whose stem is in QUERY_NOISE (Indonesian queries only)."""
    if language != "id":
        return query
    return " ".join(w for w in query.split() if not set(tokenize(w, language)) & QUERY_NOISE)


def per_article(scores: Ranking, chunk_article: dict[int, str]) -> Ranking:
    """Max chunk score per article."""
    best: Ranking = {}
    for cid, score in scores.items():
        aid = chunk_article[cid]
        best[aid] = max(score, best.get(aid, score))
    return best


# --- metrics (rag.eval.metrics, so `rag eval` and this script agree) ------------------------------
def metrics(ranks: list[int | None], answers: list[int | None] | None) -> dict[str, float]:
    """R@1/5/20 and MRR@10 (article level); answer@1/5 (the first passage containing a gold answer)."""
    m = ranking_metrics(ranks, KS)
    if answers is not None:
        m.update(ranking_metrics(answers, (1, 5), "answer", mrr=False))
    return m


def table(rows: dict[str, list[int | None]], answers: dict[str, list[int | None]]) -> str:
    """Article-level recall / MRR per method, and answer@1/@5 (a top-1/top-5 passage contains a gold
    answer; computed for the main rows only)."""
    lines = ["| method | R@1 | R@5 | R@20 | MRR@10 | answer@1 | answer@5 | n |", "|---|---|---|---|---|---|---|---|"]
    for method, ranks in rows.items():
        m = metrics(ranks, answers.get(method))
        hits = " | ".join(f"{m[k]:.3f}" if k in m else "-" for k in ("answer@1", "answer@5"))
        lines.append(f"| {method} | {m['recall@1']:.3f} | {m['recall@5']:.3f} | {m['recall@20']:.3f} "
                     f"| {m['mrr@10']:.3f} | {hits} | {len(ranks)} |")
    return "\n".join(lines)


def target_check(name: str, ranks: dict, answers: dict) -> tuple[bool, list[str]]:
    """Whether the new default is >= the better leg on TARGET_METRICS and no metric is more than
    MAX_DROP below the old default; with one line per failed condition."""
    new, old = metrics(ranks[NEW], answers[NEW]), metrics(ranks[OLD], answers[OLD])
    legs = [metrics(ranks[leg], answers[leg]) for leg in (DENSE, LEXICAL)]
    failures = []
    for key in TARGET_METRICS:
        best = max(leg[key] for leg in legs)
        if new[key] < best - 1e-9:
            failures.append(f"{name}: {key} {new[key]:.3f} < best leg {best:.3f}")
    for key, value in old.items():
        if new[key] < value - MAX_DROP - 1e-9:
            failures.append(f"{name}: {key} {new[key]:.3f} more than {MAX_DROP} below the old default {value:.3f}")
    return not failures, failures


# --- one eval set --------------------------------------------------------------------------------
def run_set(name: str, args, embedder: Embedder) -> tuple[dict, dict, list[str], dict]:
    """Ranks of the gold article and of the first answering passage per method, query languages, timings."""
    start = time.perf_counter()
    settings = index_eval_set(name, args.eval_dir, args.out, embedder)
    built = time.perf_counter()
    retriever = Retriever(settings, embedder)
    index, n = retriever.index, settings.candidates
    chunks = list(index.store.all_chunks())
    chunk_article = {c.id: c.article_id for c in chunks}
    text_of = {c.id: c.text for c in chunks}
    alias = gold_aliases(index.store)
    corpus = [tokenize(c.text, c.language) or ["<empty>"] for c in chunks]
    variants = {}
    for k1, b in BM25_VARIANTS:
        bm25 = bm25s.BM25(k1=k1, b=b)
        bm25.index(corpus, show_progress=False)
        variants[f"k1={k1} b={b}"] = LexicalIndex(bm25, np.asarray([c.id for c in chunks], dtype=np.int64))

    questions = [q for q in load_questions(args.eval_dir / name / "questions.jsonl") if q.article_id is not None]
    questions = questions if args.full else questions[:QUICK_LIMIT]
    ranks: dict[str, list[int | None]] = defaultdict(list)
    answers: dict[str, list[int | None]] = defaultdict(list)
    languages: list[str] = []
    legs_seconds = 0.0
    fusion_seconds: dict[str, list[float]] = defaultdict(list)
    for q in questions:
        t0 = time.perf_counter()
        text, lang = q.question, detect_language(q.question)
        dense, lexical, _ = retriever.leg_scores(text, n)
        legs_seconds += time.perf_counter() - t0
        gold, w = gold_article(q, alias), retriever.dense_weight(lang)
        # The fusion's own time, both kinds, interleaved (adaptive includes its coverage look-ups).
        t0 = time.perf_counter()
        new = adaptive_fusion(dense, lexical, index.lexical.coverage(make_query(text, lang), lexical), w)
        t1 = time.perf_counter()
        old = weighted_fusion(dense, lexical, w)
        t2 = time.perf_counter()
        fusion_seconds[NEW].append(t1 - t0)
        fusion_seconds[OLD].append(t2 - t1)
        languages.append(lang)
        by_chunk = lambda scores: article_rank(scores, gold, chunk_article)  # noqa: E731, B023 - used in this iteration only
        for method, scores in {DENSE: dense, LEXICAL: lexical, "rrf": rrf_fusion(dense, lexical),
                               OLD: old, NEW: new}.items():
            ranks[method].append(by_chunk(scores))
            answers[method].append(answer_rank(scores, q.answers, text_of, 5))
        for sw in args.weights:
            ranks[f"w={sw:.1f}"].append(by_chunk(weighted_fusion(dense, lexical, sw)))
        # Variants, all at the default weight for the query language.
        ranks["x zscore (default w)"].append(by_chunk(zscore_fusion(dense, lexical, w)))
        art = lambda scores: per_article(scores, chunk_article)  # noqa: E731
        itself: Ranking = {a: a for a in chunk_article.values()}  # at article level each key is its article
        ranks["x article-level (default w)"].append(
            article_rank(weighted_fusion(art(dense), art(lexical), w), gold, itself))
        both = dict(index.lexical.search(make_query(text, "und"), n))  # query stemmed as id + en
        ranks["x lexical, query id+en stems"].append(by_chunk(both))
        ranks["x query id+en stems (default w)"].append(by_chunk(weighted_fusion(dense, both, w)))
        quiet = dict(index.lexical.search(make_query(drop_noise(text, lang), lang), n))
        ranks["x lexical, id question words dropped"].append(by_chunk(quiet))
        ranks["x id question words dropped (default w)"].append(by_chunk(weighted_fusion(dense, quiet, w)))
        for label, lex in variants.items():
            other = dict(lex.search(make_query(text, lang), n))
            ranks[f"x lexical {label}"].append(by_chunk(other))
            ranks[f"x {label} (default w)"].append(by_chunk(weighted_fusion(dense, other, w)))
    total = time.perf_counter() - start
    timing = {"build_s": built - start, "legs_s": legs_seconds, "total_s": total,
              "questions": len(questions), "qps": len(questions) / legs_seconds if legs_seconds else 0.0,
              "fusion_s": dict(fusion_seconds)}
    return ranks, answers, languages, timing


def best_weight(per_weight: dict[float, list[int | None]]) -> str:
    """Weights with the top R@5 (ties listed; the one with best MRR@10 first)."""
    scored = {w: ranking_metrics(r, KS) for w, r in per_weight.items()}
    top = max(m["recall@5"] for m in scored.values())
    tied = sorted((w for w, m in scored.items() if m["recall@5"] == top), key=lambda w: -scored[w]["mrr@10"])
    return f"{', '.join(f'{w:.1f}' for w in tied)} (R@5 {top:.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", help="comma-separated eval folders (default: facqa-valid,xquad-en; "
                                       "--full: also idk-mrc-valid, tydiqa-id-valid)")
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="cache for the built indexes")
    parser.add_argument("--full", action="store_true", help=f"all questions, not the first {QUICK_LIMIT}")
    parser.add_argument("--weights", default=",".join(f"{i / 10:.1f}" for i in range(11)),
                        type=lambda s: [float(x) for x in s.split(",")], help="dense weights to sweep")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    sets = args.sets.split(",") if args.sets else ALL_SETS if args.full else QUICK_SETS
    settings = Settings.load()
    embedder = create_embedder(settings.embed_model, settings.embed_batch_size)
    embedder.encode_query("warm-up")  # load the model now, not inside the first set's timing
    print(f"embed_model={settings.embed_model} embed_languages={settings.embed_languages} "
          f"dense_weight={settings.dense_weight} dense_weight_foreign={settings.dense_weight_foreign} "
          f"fusion={settings.fusion} candidates={settings.candidates} chunk_chars={settings.chunk_chars} "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")

    start = time.perf_counter()
    by_language: dict[str, dict[float, list]] = defaultdict(lambda: defaultdict(list))
    checks: list[tuple[str, bool, list[str]]] = []
    fusion_seconds: dict[str, list[float]] = defaultdict(list)
    for name in sets:
        ranks, answers, languages, timing = run_set(name, args, embedder)
        counts = ", ".join(f"{lang} {languages.count(lang)}" for lang in sorted(set(languages)))
        print(f"\n### {name} (query languages: {counts})\n\n{table(ranks, answers)}\n")
        print(f"timing: build {timing['build_s']:.1f}s, legs {timing['legs_s']:.1f}s for "
              f"{timing['questions']} questions ({timing['qps']:.1f} q/s), total {timing['total_s']:.1f}s\n")
        per_weight = {w: ranks[f"w={w:.1f}"] for w in args.weights}
        print(f"best dense weight for {name}: {best_weight(per_weight)}")
        for lang in sorted(set(languages)):
            picked = {w: [r for r, q_lang in zip(per_weight[w], languages) if q_lang == lang] for w in args.weights}
            print(f"  {lang} queries: {best_weight(picked)}")
            for w in args.weights:
                by_language[lang][w].extend(picked[w])
        checks.append((name, *target_check(name, ranks, answers)))
        for method, seconds in timing["fusion_s"].items():
            fusion_seconds[method].extend(seconds)

    print("\n## Summary\n")
    for lang, per_weight in sorted(by_language.items()):
        print(f"best dense weight for {lang} queries (all sets): {best_weight(per_weight)}")
        sweep = {w: ranking_metrics(r, KS) for w, r in per_weight.items()}
        print("  R@5/MRR@10 by weight: " + "  ".join(
            f"{w:.1f}: {m['recall@5']:.3f}/{m['mrr@10']:.3f}" for w, m in sweep.items()))
    print(f"\n## Target: {NEW} >= the better leg on {', '.join(TARGET_METRICS)}, and no metric more than "
          f"{MAX_DROP} below {OLD}\n")
    for name, ok, failures in checks:
        print(f"{name}: {'met' if ok else 'NOT met'}" + "".join(f"\n  {line}" for line in failures))
    print(f"target met on every set: {all(ok for _, ok, _ in checks)}")
    print("\nfusion time per query (the fusion step alone, interleaved; adaptive includes its coverage look-ups):")
    for method, seconds in fusion_seconds.items():
        ordered = sorted(seconds)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        print(f"  {method}: mean {1e3 * statistics.fmean(ordered):.3f} ms, p95 {1e3 * p95:.3f} ms, "
              f"max {1e3 * ordered[-1]:.3f} ms over {len(ordered)} queries")
    print(f"total {time.perf_counter() - start:.1f}s (load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
