"""Lab: does the cited text make the *question's own words* likely? A near-miss written against the passage
swaps one word of what the passage states ("Kapankah PLO dibubarkan?" where it gives when the PLO was founded);
given the passage, the model expects the passage's word there, so the swapped word loses probability against
the same question read without the passage. Per word of the question: log P(word | text, question so far) −
log P(word | question so far); the lowest of these ("the least supported word") beside the check's confidence,
on the answers a `python -m bench.verify` run saved.

    python -m bench.experiments.question_gain bench/out/verify-{news-real,facqa-valid,idk-mrc-valid}.json
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np

from bench.experiments.probe import cited
from bench.verify import auc
from rag.answer import assessment
from rag.llm.files import resolve_gguf
from rag.settings import Settings

logger = logging.getLogger(__name__)
# The check's own prompt (rag.answer.assessment), up to the question: its logits there come with the check's pass.
CHAT = "<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\nText: {text}\nQuestion:"


def log_probs(llm, prompt: str, question: str) -> list[tuple[str, float]]:
    """Each token of `` question`` after ``prompt`` with its log-probability."""
    head = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
    tail = llm.tokenize((" " + question).encode("utf-8"), add_bos=False, special=False)
    llm.reset()
    llm.eval(head + tail)
    scores = np.asarray(llm.scores[len(head) - 1:len(head) + len(tail) - 1], dtype=np.float64)
    top = scores.max(axis=1, keepdims=True)
    normed = scores - top - np.log(np.exp(scores - top).sum(axis=1, keepdims=True))
    return [(llm.detokenize([t]).decode("utf-8", "replace"), float(normed[i, t])) for i, t in enumerate(tail)]


def word_gains(llm, text: str, question: str) -> list[tuple[str, float]]:
    """The question's words, each with its log-probability gain from reading ``text`` (its tokens summed)."""
    words: list[tuple[str, float]] = []
    given_text, no_text = (CHAT.format(system=assessment.CHECK_SYSTEM, text=t) for t in (text, "-"))
    for (piece, given), (_, alone) in zip(log_probs(llm, given_text, question), log_probs(llm, no_text, question),
                                          strict=True):
        if piece.startswith(" ") or not words or not piece[:1].isalnum() or not words[-1][0][-1:].isalnum():
            words.append((piece.strip(), given - alone))
        else:
            words[-1] = (words[-1][0] + piece, words[-1][1] + given - alone)
    return [(w, g) for w, g in words if any(c.isalnum() for c in w)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--report", action="store_true", help="only the tables, from the rows saved before")
    args = parser.parse_args()
    if args.report:
        for run in args.runs:
            details = json.loads(run.read_text(encoding="utf-8"))["answer_details"]
            report(run.name, json.loads((run.parent / f"gain-{run.stem}.json").read_text()), details)
        return
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import llama_cpp

    settings = Settings.load({}, env={})
    llm = llama_cpp.Llama(model_path=str(resolve_gguf(settings.llm_model)), n_ctx=1024, logits_all=True,
                          n_threads=2, verbose=False)
    for run in args.runs:
        details = [d for d in json.loads(run.read_text(encoding="utf-8"))["answer_details"]
                   if not d["refusal"] and d["sentences"]]
        rows, started = [], time.monotonic()
        for detail in details:
            gains = word_gains(llm, cited(detail), detail["question"])
            rows.append({"id": detail["id"], "right": detail["right"], "kind": detail["kind"],
                         "confidence": detail["confidence"] or 0.0, "question": detail["question"],
                         "answer": detail["text"], "gains": gains})
            low = min(gains, key=lambda g: g[1]) if gains else ("", 0.0)
            logger.info("%s %s conf %.2f low %s %.2f | %s", detail["id"], "R" if detail["right"] else "W",
                        rows[-1]["confidence"], low[0], low[1], detail["question"][:70])
        seconds = (time.monotonic() - started) / max(len(rows), 1)
        (run.parent / f"gain-{run.stem}.json").write_text(json.dumps(rows, indent=1, ensure_ascii=False))
        report(run.name, rows, json.loads(run.read_text(encoding="utf-8"))["answer_details"])
        print(f"{seconds:.2f} s per answer", flush=True)


def lowest(row: dict, letters: int = 1) -> float:
    """The least gain of the question's words of at least ``letters`` characters."""
    return min((g for w, g in row["gains"] if len(w) >= letters), default=0.0)


SIGNALS = {
    "confidence": lambda r: r["confidence"],
    "min gain": lowest,
    "min gain (4+ letters)": lambda r: lowest(r, 4),
    "min - median gain": lambda r: lowest(r) - float(np.median([g for _, g in r["gains"]] or [0.0])),
}


def report(name: str, rows: list[dict], details: list[dict], shipped: float = 0.65) -> None:
    """Each signal's AUC, then what the shipped threshold shows when the least gain must also reach τ."""
    for label, signal in SIGNALS.items():
        area = auc([signal(r) for r in rows if r["right"]], [signal(r) for r in rows if not r["right"]])
        print(f"{name} {label}: AUC {area:.3f} ({len(rows)} shown, {sum(r['right'] for r in rows)} right)")
    by_id = {r["id"]: r for r in rows}
    answerable = [d for d in details if d["kind"] == "answerable"]
    unanswerable = [d for d in details if d["kind"] != "answerable"]
    for label in ("min gain", "min gain (4+ letters)"):
        cells = []
        for tau in (-99.0, -2.0, -1.0, 0.0, 0.5, 1.0, 1.5, 2.0):
            shown = [d for d in details if (r := by_id.get(d["id"])) and r["confidence"] >= shipped
                     and SIGNALS[label](r) >= tau]
            right = sum(by_id[d["id"]]["right"] for d in shown)
            if any(d["kind"] == "unanswerable" for d in unanswerable):
                refused = sum(d not in shown for d in unanswerable) / max(len(unanswerable), 1)
                false = sum(d not in shown for d in answerable) / max(len(answerable), 1)
                cells.append(f"{tau:g}: {refused:.2f}/{false:.2f}")
            else:
                near = sum(d not in shown for d in unanswerable if d["kind"] == "near_miss")
                cells.append(f"{tau:g}: {right / max(len(shown), 1):.3f}/{right / max(len(answerable), 1):.3f}"
                             f" ({near})")
        print(f"{name} {label} at {shipped}: " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
