"""Lab: a linear probe on the model's own state at the end of the answer check's prompt
(rag/answer/assessment.py): the final hidden state (after the output norm) where the model is about to say
"Yes" or "No", fitted by logistic regression on answers to *training* questions, measured on the dev sets'
saved answers (`bench.verify`) against the check's confidence.

    python -m bench.experiments.probe extract bench/out/verify-{news-real,facqa-valid,idk-mrc-valid}.json
        bench/out/scorer-train.jsonl synth             # "synth": rows made from idk-mrc-train (synth_rows)
    python -m bench.experiments.probe measure --train scorer-train,synth --c 0.0001,0.001
    python -m bench.experiments.probe points --train synth --c 0.0001   # operating points beside the shipped check

Result (bench/RESULTS.md §12): no better than the check's own "Yes"; not used.
"""
from __future__ import annotations

import argparse
import json
import logging
import random
import re
import time
from pathlib import Path

import numpy as np

from bench.common import EVAL_DIR, OUT_DIR
from bench.verify import auc
from rag.answer import assessment
from rag.answer.markers import strip_markers
from rag.answer.prompting import common_lines

logger = logging.getLogger(__name__)
STATES = OUT_DIR / "probe"
SEED = 21


def cited(detail: dict) -> str:
    """The cited sentences as the check reads them (assessment.cited_text)."""
    parts: list[str] = []
    for sentence in detail["sentences"]:
        for citation in sentence["citations"]:
            for part in ((citation["title"] + ".") if citation["title"] else "", citation["quote"]):
                if part and part not in parts:
                    parts.append(part)
    return " ".join(parts)


def rows_of(path: Path) -> list[dict]:
    """Shown answers of a saved run: id, question, text, answer, right (and confidence when saved)."""
    if path.suffix == ".jsonl":
        details = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    else:
        details = json.loads(path.read_text(encoding="utf-8"))["answer_details"]
    rows = []
    for d in details:
        if d.get("refusal") or not d.get("sentences") or d.get("confidence") is None:
            continue
        rows.append({"id": d["id"], "question": d["question"], "text": cited(d), "answer": strip_markers(d["text"]),
                     "right": bool(d["right"]), "kind": d.get("kind", ""), "confidence": d["confidence"]})
    return rows


class Reader:
    """The bundled model with its hidden states readable (pooling none: only the last token is output)."""

    def __init__(self) -> None:
        import llama_cpp

        from rag.llm.files import resolve_gguf
        from rag.llm.generator import Generator
        from rag.settings import Settings

        settings = Settings.load({}, env={})
        self.generator = Generator(settings)
        self.generator._llm = llama_cpp.Llama(model_path=str(resolve_gguf(settings.llm_model)),
                                              n_ctx=settings.llm_context, n_threads=2, verbose=False,
                                              pooling_type=llama_cpp.LLAMA_POOLING_TYPE_NONE)
        self.llama_cpp = llama_cpp

    def state(self, question: str, text: str, answer: str) -> tuple[np.ndarray, float]:
        """The hidden state after the check's prompt, and the check's own "Yes" share."""
        g, lc = self.generator, self.llama_cpp
        user = assessment.CHECK_USER.format(text=text, question=question, answer=answer)
        prompt, _ = assessment._prompt(g, assessment.CHECK_SYSTEM, user)
        shape = assessment.CHECK_USER.format(text="{0}", question="{0}?", answer="{0}")
        prefix = common_lines([assessment._prompt(g, assessment.CHECK_SYSTEM, shape.format(w))[0] for w in "ab"])
        llm = g.llm
        tokens = llm.tokenize(prompt.encode("utf-8"), special=True)
        g._start(tokens, prefix)
        lc.llama_set_embeddings(llm._ctx.ctx, True)
        try:
            llm.eval(tokens[llm.n_tokens:])
            hidden = np.ctypeslib.as_array(lc.llama_get_embeddings_ith(llm._ctx.ctx, -1), shape=(llm.n_embd(),))
            logits = np.ctypeslib.as_array(lc.llama_get_logits_ith(llm._ctx.ctx, -1), shape=(llm.n_vocab(),))
            hidden, logits = hidden.copy(), logits.astype(np.float64)
        finally:
            lc.llama_set_embeddings(llm._ctx.ctx, False)
        p = np.exp(logits - logits.max())
        p /= p.sum()
        first = [llm.tokenize(w.encode(), add_bos=False)[0] for w in (*assessment.YES, *assessment.NO)]
        yes, no = sum(p[t] for t in first[:3]), sum(p[t] for t in first[3:])
        return hidden.astype(np.float32), float(yes / (yes + no))


def extract(paths: list[Path]) -> None:
    reader = Reader()
    STATES.mkdir(parents=True, exist_ok=True)
    for path in paths:
        rows = synth_rows(path) if path.name == "synth" else rows_of(path)
        out = STATES / (path.stem + ".npz")
        if out.exists():
            continue
        states, yes = [], []
        started = time.perf_counter()
        for number, row in enumerate(rows, 1):
            h, y = reader.state(row["question"], row["text"], row["answer"])
            states.append(h)
            yes.append(y)
            if number % 25 == 0:
                logger.info("%s: %d/%d, %.1f s each", path.stem, number, len(rows),
                            (time.perf_counter() - started) / number)
        np.savez(out, states=np.array(states), yes=np.array(yes), rows=json.dumps(rows))


def sentence_of(passage: str, span: str) -> str:
    for sentence in re.split(r"(?<=[.!?])\s+", passage):
        if span in sentence:
            return sentence
    return ""


def synth_rows(_: Path, limit: int = 600) -> list[dict]:
    """idk-mrc-train rows without running the pipeline: an answerable question with its gold answer and the
    sentence holding it (right); an unanswerable question with the gold answer of the answerable question on the
    same passage it shares the most words with, and that answer's sentence (wrong: the near-miss answered as its
    source question); an answerable question with another question's answer from its passage (wrong)."""
    split = EVAL_DIR / "train" / "idk-mrc-train"
    passages = {a["id"]: a["text"] for a in map(json.loads, (split / "articles.jsonl").read_text().splitlines())}
    by_passage: dict[str, list[dict]] = {}
    for q in map(json.loads, (split / "questions.jsonl").read_text().splitlines()):
        by_passage.setdefault(q["passage_id"], []).append(q)
    rng = random.Random(SEED)
    keys = sorted(by_passage)
    rng.shuffle(keys)
    rows: list[dict] = []
    words = lambda s: set(re.findall(r"\w+", s.lower()))  # noqa: E731
    for key in keys:
        group, passage = by_passage[key], passages[key]
        answerable = [q for q in group if q["answers"] and sentence_of(passage, q["answers"][0])]
        if not answerable:
            continue
        for q in group:
            if q["answers"] and q in answerable:
                rows.append({"id": q["id"], "question": q["question"], "answer": q["answers"][0],
                             "text": sentence_of(passage, q["answers"][0]), "right": True, "kind": "answerable"})
                others = [o for o in answerable if o["answers"][0] != q["answers"][0]]
                if others and rng.random() < 0.5:
                    o = rng.choice(others)
                    rows.append({"id": q["id"] + "-span", "question": q["question"], "answer": o["answers"][0],
                                 "text": sentence_of(passage, o["answers"][0]), "right": False, "kind": "span"})
            elif not q["answers"]:
                source = max(answerable, key=lambda o: len(words(o["question"]) & words(q["question"])))
                rows.append({"id": q["id"], "question": q["question"], "answer": source["answers"][0],
                             "text": sentence_of(passage, source["answers"][0]), "right": False,
                             "kind": "near_miss"})
        if len(rows) >= limit:
            break
    return rows[:limit]


def fit(x: np.ndarray, y: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
    from sklearn.pipeline import make_pipeline  # type: ignore[import-untyped]
    from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped]

    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000)).fit(x, y)


def load(name: str) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    data = np.load(STATES / f"{name}.npz")
    return data["states"], data["yes"], json.loads(str(data["rows"]))


def measure(train: list[str], c_values: list[float]) -> None:
    parts = [load(n) for n in train]
    x = np.concatenate([p[0] for p in parts])
    y = np.array([r["right"] for p in parts for r in p[2]])
    print(f"train rows {len(y)} (right {y.sum()})")
    for c in c_values:
        model = fit(x, y, c)
        for dev in ("verify-news-real", "verify-facqa-valid", "verify-idk-mrc-valid"):
            states, yes, rows = load(dev)
            p = model.predict_proba(states)[:, 1]
            right = np.array([r["right"] for r in rows])
            shipped = {r["id"]: r["confidence"] for r in
                       json.loads((OUT_DIR / f"reanswer-{dev}.json").read_text(encoding="utf-8"))}
            conf = np.array([shipped.get(r["id"], r["confidence"]) for r in rows])
            print(f"C={c} {dev:24} n={len(rows)} AUC probe {auc(list(p[right]), list(p[~right])):.3f} "
                  f"yes {auc(list(yes[right]), list(yes[~right])):.3f} "
                  f"saved conf {auc(list(conf[right]), list(conf[~right])):.3f} "
                  f"conf*probe {auc(list((conf * p)[right]), list((conf * p)[~right])):.3f}")


def points(train: list[str], c: float, thresholds: list[float], minimum: float = 0.65) -> None:
    """Drafts only, as reanswer --points: shown when the shipped confidence >= ``minimum`` and the probe >= t."""
    parts = [load(n) for n in train]
    model = fit(np.concatenate([p[0] for p in parts]), np.array([r["right"] for p in parts for r in p[2]]), c)
    for dev in ("verify-news-real", "verify-facqa-valid", "verify-idk-mrc-valid"):
        states, _, rows = load(dev)
        details = json.loads((OUT_DIR / f"{dev}.json").read_text(encoding="utf-8"))["answer_details"]
        answerable = sum(d["answerable"] for d in details)
        unanswerable = len(details) - answerable
        shipped = {r["id"]: r["confidence"] for r in
                   json.loads((OUT_DIR / f"reanswer-{dev}.json").read_text(encoding="utf-8"))}
        conf = np.array([shipped.get(r["id"], r["confidence"]) for r in rows])
        p = model.predict_proba(states)[:, 1]
        line = []
        for t in thresholds:
            shown = [r for r, cf, pr in zip(rows, conf, p) if cf >= minimum and pr >= t]
            right = sum(r["right"] for r in shown)
            answered_unanswerable = sum(r["kind"] not in ("answerable", "") for r in shown)
            shown_answerable = {r["id"] for r in shown if r["kind"] == "answerable"}
            if "idk" in dev:
                line.append(f"{t:.2f}: refused {1 - answered_unanswerable / unanswerable:.2f} "
                            f"FR {1 - len(shown_answerable) / answerable:.2f}")
            else:
                near = sum(r["kind"] == "near_miss" for r in shown)
                line.append(f"{t:.2f}: {right / max(len(shown), 1):.3f}/{right / answerable:.3f} nm{near}")
        print(dev, " | ".join(line))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["extract", "measure", "points"])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--train", default="scorer-train")
    parser.add_argument("--c", default="0.001,0.01,0.1")
    parser.add_argument("--t", default="0,0.2,0.3,0.4,0.5,0.6")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.command == "extract":
        extract(args.paths)
    elif args.command == "points":
        points(args.train.split(","), float(args.c), [float(t) for t in args.t.split(",")])
    else:
        measure(args.train.split(","), [float(c) for c in args.c.split(",")])


if __name__ == "__main__":
    main()
