"""Lab: signals beside the answer check's yes/no (rag/answer/assessment.py), read from the same model on the
answers a `python -m bench.verify` run saved:

- **re-answer**: the model answers the question again from the cited sentences alone (greedy, a few words, or
  "Not stated"); how much of that re-answer the shown answer holds, and how likely "Not stated" was;
- **answer likelihood**: the mean log-probability of the shown answer's words after the same prompt (how
  readily the model would say exactly that, given only the cited sentences).

Prints the AUC of each signal and of simple combinations with the recorded confidence, per set. With
``--points`` it reads the rows saved before (no model) and prints the form the product ships
(rag.answer.assessment.assess: yes × (0.5 + 0.5 held), × NOT_STATED_WEIGHT for "Not stated") per threshold:
precision / coverage (near-misses refused), or for a set without gold answers in its passages refusal
accuracy / false refusals; drafts only (the quote fallback and the second reading's answer not tried).

    python -m bench.experiments.reanswer bench/out/verify-news-real.json bench/out/verify-facqa-valid.json
    python -m bench.experiments.reanswer --points bench/out/verify-*.json
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import re
import time
from pathlib import Path

import numpy as np

from bench.experiments.check_prompts import cited
from bench.verify import auc
from rag.answer import assessment
from rag.answer.markers import strip_markers
from rag.answer.prompting import common_lines
from rag.library import Library
from rag.settings import Settings

logger = logging.getLogger(__name__)

SYSTEM = ("Answer the question from the text only, with the exact words of the text: a name, number, date or short "
          "phrase. If the text does not state the answer to this exact question, reply: Not stated.")
USER = "Text: {text}\nQuestion: {question}"
NOT = ("Not", "not", "Tidak")


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def held(reanswer: str, answer: str) -> float:
    """The share of the re-answer's words the shown answer holds (0 when the re-answer is "Not stated")."""
    asked = words(reanswer) - {"not", "stated"}
    return len(asked & words(answer)) / len(asked) if asked else 0.0


def answer_likelihood(generator, prompt: str, answer: str) -> float:
    """Mean log-probability of ``answer``'s tokens after ``prompt`` (at most 32 tokens)."""
    llm = generator.llm
    tokens = llm.tokenize(prompt.encode("utf-8"), special=True)
    llm.reset()
    llm.eval(tokens)
    total, counted = 0.0, 0
    for token in llm.tokenize(answer.encode("utf-8"), add_bos=False, special=False)[:32]:
        logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).astype(np.float64)
        top = logits.max()
        total += logits[token] - top - math.log(np.exp(logits - top).sum())
        counted += 1
        llm.eval([token])
    return total / max(counted, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--points", action="store_true", help="the shipped form per threshold, from saved rows")
    args = parser.parse_args()
    if args.points:
        for run in args.runs:
            operating_points(run)
        return
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    generator = Library(Settings.load({}, env={})).pipeline.generator
    shape = [generator.render_chat([{"role": "system", "content": SYSTEM},
                                    {"role": "user", "content": USER.format(text=w, question=w)}])[0] for w in "ab"]
    prefix = common_lines(shape)
    for run in args.runs:
        details = [d for d in json.loads(run.read_text(encoding="utf-8"))["answer_details"]
                   if not d["refusal"] and d["sentences"]]
        rows = []
        started = time.monotonic()
        for detail in details:
            messages = [{"role": "system", "content": SYSTEM},
                        {"role": "user", "content": USER.format(text=cited(detail), question=detail["question"])}]
            prompt = generator.render_chat(messages)[0]
            completion = generator.stream(prompt, messages=messages, max_tokens=24, temperature=0.0, probe=NOT,
                                          prefix=prefix, stop=["\n"])
            pieces = []
            while True:
                try:
                    pieces.append(next(completion))
                except StopIteration as stop:
                    probed = stop.value
                    break
            reanswer = "".join(pieces).strip()
            answer = strip_markers(detail["text"])
            row = {"id": detail["id"], "right": detail["right"], "confidence": detail["confidence"] or 0.0,
                   "reanswer": reanswer, "held": held(reanswer, answer),
                   "not_stated": sum(probed.get(w, 0.0) for w in NOT),
                   "likelihood": answer_likelihood(generator, prompt, answer)}
            rows.append(row)
            logger.info("%s right=%s conf %.2f held %.2f not %.2f lik %.2f | %s | %s", row["id"], row["right"],
                        row["confidence"], row["held"], row["not_stated"], row["likelihood"], reanswer[:60],
                        answer[:60])
        seconds = (time.monotonic() - started) / max(len(rows), 1)
        (run.parent / f"reanswer-{run.stem}.json").write_text(json.dumps(rows, indent=1, ensure_ascii=False))
        signals = {
            "confidence": lambda r: r["confidence"],
            "held": lambda r: r["held"],
            "1-not_stated": lambda r: 1 - r["not_stated"],
            "likelihood": lambda r: r["likelihood"],
            "conf*(1-not)": lambda r: r["confidence"] * (1 - r["not_stated"]),
            "conf*(.5+.5held)": lambda r: r["confidence"] * (0.5 + 0.5 * r["held"]),
            "conf*(1-not)*(.5+.5held)": lambda r: r["confidence"] * (1 - r["not_stated"]) * (0.5 + 0.5 * r["held"]),
        }
        for name, signal in signals.items():
            area = auc([signal(r) for r in rows if r["right"]], [signal(r) for r in rows if not r["right"]])
            print(f"{run.name} {name}: AUC {area:.3f} ({len(rows)} shown, {sum(r['right'] for r in rows)} right)")
        print(f"{seconds:.2f} s per answer (re-answer and likelihood)", flush=True)


def operating_points(run: Path, thresholds: tuple[float, ...] = (0.5, 0.6, 0.65, 0.7, 0.8)) -> None:
    """The shipped confidence's AUC and, per threshold, what the drafts of ``run`` would show."""
    details = json.loads(run.read_text(encoding="utf-8"))["answer_details"]
    saved = {r["id"]: r for r in json.loads((run.parent / f"reanswer-{run.stem}.json").read_text(encoding="utf-8"))}
    score = {}
    for detail in details:
        if (row := saved.get(detail["id"])) is not None:
            again = "" if row["reanswer"].lower().strip(" .").startswith(assessment.NOT_STATED) else row["reanswer"]
            held_share = assessment.held(again, strip_markers(detail["text"]))
            score[detail["id"]] = row["confidence"] * (0.5 + 0.5 * held_share if again
                                                       else assessment.NOT_STATED_WEIGHT)
    area = auc([score[i] for i in score if saved[i]["right"]], [score[i] for i in score if not saved[i]["right"]])
    answerable = [d for d in details if d["kind"] == "answerable"]
    unanswerable = [d for d in details if d["kind"] != "answerable"]
    cells = []
    for threshold in thresholds:
        shown = [d for d in details if score.get(d["id"], -1.0) >= threshold]
        right = sum(saved[d["id"]]["right"] for d in shown)
        refused = [d for d in unanswerable if d not in shown]
        if any(d["kind"] == "unanswerable" for d in unanswerable):  # no near-miss / off-corpus marks
            false = sum(d not in shown for d in answerable) / max(len(answerable), 1)
            cells.append(f"{threshold:.2f}: {len(refused) / max(len(unanswerable), 1):.2f} / {false:.2f}")
        else:
            near = [d for d in unanswerable if d["kind"] == "near_miss"]
            cells.append(f"{threshold:.2f}: {right / max(len(shown), 1):.3f} / {right / max(len(answerable), 1):.3f}"
                         f" ({sum(d in refused for d in near)} of {len(near)})")
    print(f"{run.name}: AUC {area:.3f} ({len(score)} shown) | " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
