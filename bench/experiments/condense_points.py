"""Lab: should the model condense an open answer's points (issue 22, "fast first, then better")? Each saved
answer of `python -m bench.open_answers` (bench/out/open-<set>.json) is given to the model in one prompt that
rewrites every point shorter in the question's language; each rewritten line is kept only when its source
sentence supports it (rag.answer.support.verify), else the quote stays. Prints, per question and overall, the
points condensed and kept, the words before and after, the key points covered before and after, and the
seconds the model took.

    python -m bench.experiments.condense_points --limit 8
"""
from __future__ import annotations

import argparse
import json
import re
import time

from bench.common import EVAL_DIR, OUT_DIR
from rag.answer.support import verify
from rag.eval.open_questions import covered_points, load_open_questions
from rag.llm.factory import create_generator
from rag.settings import Settings

INSTRUCTIONS = {
    "id": "Tulis ulang setiap kalimat bernomor di bawah menjadi satu poin singkat dalam bahasa Indonesia, paling "
          "banyak 20 kata. Salin angka dan nama persis seperti tertulis. Tulis satu baris per kalimat, diawali "
          "nomornya, misalnya: 1. …",
    "en": "Rewrite each numbered sentence below as one short point in English, at most 20 words. Copy numbers and "
          "names exactly as written. Write one line per sentence, starting with its number, for example: 1. …",
}
_LINE = re.compile(r"^\s*(\d+)[.)]\s*(.+)$")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="news-real-open")
    parser.add_argument("--limit", type=int, default=8)
    args = parser.parse_args()
    report = json.loads((OUT_DIR / f"open-{args.set}.json").read_text(encoding="utf-8"))
    questions = {q.id: q for q in load_open_questions(EVAL_DIR / args.set / "questions.jsonl")}
    generator = create_generator(Settings())
    totals = {"points": 0, "kept": 0, "words_before": 0, "words_after": 0, "covered_before": 0, "covered_after": 0,
              "seconds": 0.0}
    details = [d for d in report["answer_details"] if not d["refusal"]][:args.limit]
    for detail in details:
        q = questions[detail["id"]]
        points = [re.sub(r"\s*\[\d+\]$", "", line[2:]) for line in detail["text"].splitlines() if line.startswith("- ")]
        code = "en" if q.language == "en" else "id"
        user = INSTRUCTIONS[code] + "\n\n" + "\n".join(f"{n}. {p}" for n, p in enumerate(points, 1))
        messages = [{"role": "user", "content": user}]
        started = time.perf_counter()
        text = "".join(finished_text(generator, messages))
        seconds = time.perf_counter() - started
        rewritten = {int(m.group(1)): m.group(2).strip() for line in text.splitlines() if (m := _LINE.match(line))}
        shown: list[str] = []
        for n, point in enumerate(points, 1):
            line = rewritten.get(n)
            kept = line is not None and verify(line, [point], code)[0]
            shown.append(line if line is not None and kept else point)
            totals["kept"] += shown[-1] != point  # condensed: a line of its own that its sentence supports
        before, after = " ".join(points), " ".join(shown)
        totals["points"] += len(points)
        totals["words_before"] += len(before.split())
        totals["words_after"] += len(after.split())
        totals["covered_before"] += covered_points(before, q.key_points)
        totals["covered_after"] += covered_points(after, q.key_points)
        totals["seconds"] += seconds
        print(f"{q.id}: kept {sum(a != b for a, b in zip(shown, points))}/{len(points)}, words "
              f"{len(before.split())} -> {len(after.split())}, key points {covered_points(before, q.key_points)} -> "
              f"{covered_points(after, q.key_points)}, {seconds:.1f} s", flush=True)
    print(json.dumps(totals))


def finished_text(generator, messages: list[dict[str, str]]):
    """The model's whole reply to ``messages``."""
    prompt = generator.render_chat(messages)[0]
    stream = generator.stream(prompt, messages=messages, max_tokens=400)
    while True:
        try:
            yield next(stream)
        except StopIteration:
            return


if __name__ == "__main__":
    main()
