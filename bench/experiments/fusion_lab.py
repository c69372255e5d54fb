"""Fusion experiments on cached legs: dump each set's per-question dense and lexical candidates once,
then score fusion rules offline in seconds (no embedding, no BM25 at experiment time).

    python -m bench.experiments.fusion_lab dump [--sets ...]  # builds/reuses bench/out/index-<set>,
                                                              # writes legs-<set>.pkl
    python -m bench.experiments.fusion_lab run [--stress]     # every rule in fusion_rules.py on every set

``run`` prints, per rule and set, R@1 R@5 MRR@10 and the questions gained/lost at rank 1 against the
old default (weighted 0.5); "OK" marks a rule that meets the fusion target on every set (>= the better
leg on R@1, R@5, MRR@10, and none more than 0.005 below the old default). ``--stress`` first takes from
each gold passage the rarest query stem it shares with the question (see ``stressed``). ``full pool``
rules recompute BM25 from the passages, so the stress does not reach them.

The dump keeps the top ``DEPTH`` of each leg (production fuses the top ``candidates`` = 50), the query
vector and every chunk's vector, so re-scoring rules can compute the dense score of a lexical-only candidate.
"""
from __future__ import annotations

import argparse
import logging
import pickle
import time

import numpy as np

from bench.common import EVAL_DIR, OUT_DIR, index_eval_set
from bench.experiments.fusion_rules import RULES, bm25_scorer
from rag.embed.base import Embedder
from rag.embed.factory import create_embedder
from rag.eval.metrics import answer_rank, article_rank, gold_aliases, load_questions, ranking_metrics
from rag.retrieve.retriever import Retriever
from rag.settings import Settings
from rag.text.language import detect_language
from rag.text.query import make_query
from rag.text.tokens import tokenize

SETS = ["facqa-valid", "idk-mrc-valid", "tydiqa-id-valid", "xquad-en"]
DEPTH = 100


def dump(name: str, embedder: Embedder) -> None:
    settings = index_eval_set(name, EVAL_DIR, OUT_DIR, embedder)
    retriever = Retriever(settings, embedder)
    index = retriever.index
    chunks = list(index.store.all_chunks())
    ids, vectors = index.vectors.arrays()
    questions: list[dict] = []
    data = {
        "chunks": {c.id: {"article": c.article_id, "text": c.text, "language": c.language,
                          "tokens": tokenize(c.text, c.language)} for c in chunks},
        "alias": gold_aliases(index.store),
        "vectors": dict(zip(ids.tolist(), vectors)),
        "questions": questions,
    }
    start = time.perf_counter()
    for q in load_questions(EVAL_DIR / name / "questions.jsonl"):
        lang = detect_language(q.question)
        qvec = embedder.encode_query(q.question)
        questions.append({
            "id": q.id, "question": q.question, "answers": q.answers, "article_id": q.article_id,
            "language": lang, "qvec": qvec, "query_tokens": tokenize(q.question, lang),
            "dense": index.vectors.search(qvec, DEPTH),
            "lexical": index.lexical.search(make_query(q.question, lang), DEPTH),
        })
    with open(OUT_DIR / f"legs-{name}.pkl", "wb") as f:
        pickle.dump(data, f)
    print(f"dumped {name}: {len(questions)} questions in {time.perf_counter() - start:.1f}s", flush=True)


# --- offline evaluation ----------------------------------------------------------------------------
class SetData:
    """One dumped set: chunk metadata, BM25 document frequencies and the answerable questions."""

    def __init__(self, name: str, n: int = 50) -> None:
        with open(OUT_DIR / f"legs-{name}.pkl", "rb") as f:
            data = pickle.load(f)
        self.name = name
        self.chunks = data["chunks"]
        self.article_of = {cid: c["article"] for cid, c in self.chunks.items()}
        self.text_of = {cid: c["text"] for cid, c in self.chunks.items()}
        self.token_sets = {cid: set(c["tokens"]) for cid, c in self.chunks.items()}
        self.vectors = data["vectors"]
        df: dict[str, int] = {}
        for tokens in self.token_sets.values():
            for t in tokens:
                df[t] = df.get(t, 0) + 1
        self.df, self.n_docs = df, len(self.chunks)
        self.questions = []
        for q in data["questions"]:
            if q["article_id"] is None:
                continue
            q["gold"] = data["alias"].get(q["article_id"], q["article_id"])
            q["dense_all"], q["lexical_all"] = dict(q["dense"]), dict(q["lexical"])
            q["dense"] = dict(q["dense"][:n])
            q["lexical"] = dict(q["lexical"][:n])
            self.questions.append(q)

    def idf(self, token: str) -> float:
        df = self.df.get(token, 0)
        return float(np.log(1 + (self.n_docs - df + 0.5) / (df + 0.5)))


def evaluate(data: SetData, rule) -> dict:
    """R@1/5/20, MRR@10 (article level), answer@1/5 of ``rule(q, data) -> fused scores``; "ranks" per question."""
    ranks, answers = [], []
    for q in data.questions:
        fused = rule(q, data)
        ranks.append(article_rank(fused, q["gold"], data.article_of))
        answers.append(answer_rank(fused, q["answers"], data.text_of, 5))
    return {**ranking_metrics(ranks, (1, 5, 20)), **ranking_metrics(answers, (1, 5), "answer", mrr=False),
            "ranks": ranks}


def wins(new: list, old: list) -> str:
    """Questions whose gold moved into / out of rank 1 against ``old``."""
    up = sum(n == 1 and o != 1 for n, o in zip(new, old))
    down = sum(o == 1 and n != 1 for n, o in zip(new, old))
    return f"+{up}-{down}"


COLUMNS = ["recall@1", "recall@5", "recall@20", "mrr@10", "answer@1", "answer@5"]


def stressed(data: SetData) -> SetData:
    """A copy in which, per question, the gold article's passages lack the rarest query stem they shared
    with the question (as if the passage named the subject in other words: TyDi's situation, made
    harsher): their BM25 scores are recomputed without it, the rest of the lexical leg and the dense leg
    are unchanged. Checks that a rule falls back to the dense leg when BM25 is misled."""
    import copy
    out = copy.copy(data)
    score = bm25_scorer(data)
    out.questions = []
    for q in data.questions:
        q = dict(q)
        gold_chunks = [c for c, a in data.article_of.items() if a == q["gold"]]
        shared = {t for t in q["query_tokens"] if any(t in data.token_sets[c] for c in gold_chunks)}
        if shared:
            drop = max(sorted(shared), key=data.idf)  # sorted: ties broken the same way every run
            kept = [t for t in q["query_tokens"] if t != drop]
            lexical = dict(q["lexical"])
            for c in gold_chunks:
                if c in lexical:
                    lexical[c] = score(kept, c)
            q["lexical"] = {c: v for c, v in lexical.items() if v > 0}
            q["stress_drop"] = drop
        out.questions.append(q)
    out.name = data.name + "~"
    return out


def report(sets: list[SetData], rules: dict) -> None:
    base = {d.name: evaluate(d, rules["weighted 0.5"]) for d in sets}
    legs = {d.name: (evaluate(d, rules["dense"]), evaluate(d, rules["lexical"])) for d in sets}
    for label, rule in rules.items():
        cells, ok = [], True
        for d in sets:
            m = evaluate(d, rule)
            dense, lexical = legs[d.name]
            for key in ("recall@1", "recall@5", "mrr@10"):
                if m[key] < max(dense[key], lexical[key]) - 1e-9 or m[key] < base[d.name][key] - 0.005:
                    ok = False
            cells.append(" ".join(f"{m[k]:.3f}" for k in ("recall@1", "recall@5", "mrr@10"))
                         + f" {wins(m['ranks'], base[d.name]['ranks']):>6s}")
        print(f"{label:42s} {'OK ' if ok else '   '}| " + " | ".join(cells), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["dump", "run"])
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--stress", action="store_true", help="lexical leg without the gold's rarest query stem")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.command == "run":
        sets = [SetData(name) for name in args.sets.split(",")]
        if args.stress:
            sets = [stressed(d) for d in sets]
        print(" " * 46 + " | ".join(f"{d.name[:25]:25s}" for d in sets))
        report(sets, RULES)
        return
    settings = Settings.load()
    embedder = create_embedder(settings.embed_model, settings.embed_batch_size)
    for name in args.sets.split(","):
        dump(name, embedder)


if __name__ == "__main__":
    main()
