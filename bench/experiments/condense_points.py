"""Lab: should the model condense an open answer's points (issue 22, "fast first, then better")? Each saved
answer of `python -m bench.open_answers` (bench/out/open-<set>.json) is condensed one of three ways:

- ``rewrite``: one prompt rewrites every point shorter in the question's language; a line is kept when its
  sentence supports it (rag.answer.support.verify);
- ``leave-out``: one prompt per point of 16 words or more asks for the sentence with words left out; kept when
  every word stands in the sentence, it keeps 35-75 % of them and verify passes;
- ``leave-out-grammar``: the same, the model held by a GBNF grammar to the sentence's words in order (it can only
  leave words out; the in-process model only).

Prints, per question and overall, the points condensed and kept, the words before and after, the key points
covered before and after, and the seconds the model took.

    python -m bench.experiments.condense_points --limit 8 --way leave-out-grammar
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
LEAVE_OUT = ("You shorten sentences from news articles by leaving words out. Keep what answers the question (who, "
             "what, where, when, how many, why) and keep each word you keep exactly as written: change no word and "
             "add none. Reply with the shortened sentence only.")
LEAVE_OUT_USER = "Question: {question}\nSentence: {sentence}\nAt most {words} words."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="news-real-open")
    parser.add_argument("--limit", type=int, default=8)
    parser.add_argument("--way", choices=("rewrite", "leave-out", "leave-out-grammar"), default="rewrite")
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
        started = time.perf_counter()
        if args.way == "rewrite":
            shown = rewritten(generator, points, code)
        else:
            shown = [left_out(generator, q.question, p, args.way == "leave-out-grammar") for p in points]
        seconds = time.perf_counter() - started
        totals["kept"] += sum(a != b for a, b in zip(shown, points))
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


def rewritten(generator, points: list[str], code: str) -> list[str]:
    """All ``points`` rewritten in one prompt; a line its sentence does not support stays the sentence."""
    user = INSTRUCTIONS[code] + "\n\n" + "\n".join(f"{n}. {p}" for n, p in enumerate(points, 1))
    lines = {int(m.group(1)): m.group(2).strip()
             for line in reply(generator, [{"role": "user", "content": user}], 400).splitlines()
             if (m := _LINE.match(line))}
    return [line if (line := lines.get(n)) is not None and verify(line, [point], code)[0] else point
            for n, point in enumerate(points, 1)]


def left_out(generator, question: str, sentence: str, grammar: bool) -> str:
    """``sentence`` with words left out by the model, when the result checks out; else ``sentence``."""
    words = sentence.split()
    if len(words) < 16:
        return sentence
    messages = [{"role": "system", "content": LEAVE_OUT},
                {"role": "user", "content": LEAVE_OUT_USER.format(question=question, sentence=sentence,
                                                                  words=max(6, int(len(words) * 0.75) - 2))}]
    if grammar:
        from llama_cpp import LlamaGrammar

        kept_words = sentence.rstrip(".").split()
        rules = [f"s{i} ::= {json.dumps(' ' + w)} s{i + 1} | s{i + 1}" for i, w in enumerate(kept_words)]
        gbnf = "\n".join(["root ::= s0", *rules, f's{len(rules)} ::= "."'])
        prompt = generator.render_chat(messages)[0]
        completion = generator.llm.create_completion(prompt, max_tokens=60, temperature=0.0,
                                                     grammar=LlamaGrammar.from_string(gbnf, verbose=False))
        text = completion["choices"][0]["text"].strip()
    else:
        text = reply(generator, messages, 40).strip().strip('"')
    said = set(re.findall(r"\w+", text.lower()))
    kept = (0.35 * len(words) <= len(text.split()) <= 0.75 * len(words)
            and said <= set(re.findall(r"\w+", sentence.lower())) and verify(text, [sentence], "id")[0])
    print(f"  {'kept' if kept else 'not kept'}: {text}", flush=True)
    return text if kept else sentence


def reply(generator, messages: list[dict[str, str]], tokens: int) -> str:
    """The model's whole reply to ``messages``, up to its first blank line."""
    prompt = generator.render_chat(messages)[0]
    stream = generator.stream(prompt, messages=messages, max_tokens=tokens, temperature=0.0)
    pieces = []
    while True:
        try:
            pieces.append(next(stream))
        except StopIteration:
            return "".join(pieces)


if __name__ == "__main__":
    main()
