"""Reader benchmark: how well each local LLM answers when it is given the gold passage.

For each eval set (../shared/eval) and model, the first N answerable questions (file order, so the
sample is fixed) are answered from a single source: the gold article's paragraph that contains the
first gold answer (the whole article when none does). The prompt is the product's own
(rag.answer.prompting.build_prompt), generation is greedy with at most 64 new tokens. The answer, with its
[n] markers stripped, is scored against the gold answers: exact match and token F1 (SQuAD-style
normalisation), gold-contained, share of answers with at least one verified claim
(rag.answer.citations.check_answer), share with a number that is not in the passage, and speed (s/answer and
tok/s = answer tokens per second of answering, prompt processing included).

    .venv/bin/python -m bench.experiments.reader                                   # both models, both sets, n=40
    .venv/bin/python -m bench.experiments.reader --models gemma3-270m --sets xquad-en --n 100
    .venv/bin/python -m bench.experiments.reader --spread                          # n evenly spaced questions
    .venv/bin/python -m bench.experiments.reader --full                            # every answerable question

--threads overrides llm_threads: on 2 cores with another busy process, 1 thread is far faster.
Every answer is also written to bench/out/reader-<model>-<set>.jsonl for reading.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path

from bench.common import EVAL_DIR, OUT_DIR
from rag.answer.citations import check_answer
from rag.answer.evidence import Passage
from rag.answer.markers import strip_markers
from rag.answer.prompting import build_prompt
from rag.eval.metrics import contains, exact_match, token_f1
from rag.llm.generator import Generator
from rag.settings import Settings
from rag.text.language import detect_language
from rag.text.languages import language as language_of
from rag.types import Hit

MAX_NEW_TOKENS = 64
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def numbers(text: str) -> set[str]:
    """Digit strings of the numbers in ``text``, separators dropped ("1.200" and "1200" match)."""
    return {re.sub(r"[.,]", "", n) for n in _NUMBER.findall(text)}


def gold_passage(article_text: str, answer: str) -> str:
    """The blank-line-separated paragraph containing ``answer``, else the whole article."""
    for paragraph in re.split(r"\n\s*\n", article_text):
        if answer and answer.lower() in paragraph.lower():
            return paragraph.strip()
    return article_text


def load_set(eval_dir: Path, name: str, n: int | None, spread: bool = False) -> list[tuple[dict, Hit]]:
    """The first ``n`` answerable questions of a set (or ``n`` evenly spaced ones), each with its
    gold passage as a Hit."""
    folder = eval_dir / name
    articles = {a["id"]: a for a in map(json.loads, (folder / "articles.jsonl").open(encoding="utf-8"))}
    questions = [q for q in map(json.loads, (folder / "questions.jsonl").open(encoding="utf-8"))
                 if q["article_id"] is not None and q["answers"]]
    if n is not None and spread and len(questions) > n:
        questions = [questions[i * len(questions) // n] for i in range(n)]
    items = []
    for q in questions:
        article = articles[q["article_id"]]
        text = gold_passage(article["text"], q["answers"][0])
        items.append((q, Hit(chunk_id=0, article_id=article["id"], title=article.get("title") or "",
                             published=None, text=text, start=0, end=len(text), score=1.0,
                             dense_score=None, lexical_score=None)))
        if n is not None and len(items) == n:
            break
    return items


def answer_one(generator: Generator, settings: Settings, question: dict, hit: Hit) -> dict:
    """Generate one answer from the gold passage and score it."""
    language = detect_language(question["question"])
    prompt = build_prompt(generator, question["question"], [Passage.of(hit)], language_of(language),
                          settings.max_answer_tokens)
    started = time.perf_counter()
    raw = "".join(generator.stream(prompt.text, stop=prompt.stop, max_tokens=MAX_NEW_TOKENS, temperature=0.0))
    seconds = time.perf_counter() - started
    answer = strip_markers(raw)
    sentences = check_answer(raw, prompt.sources, language)
    passage = prompt.sources[0].hit.text if prompt.sources else ""
    return {
        "id": question["id"], "question": question["question"], "answers": question["answers"],
        "language": language, "raw": raw, "prompt_tokens": generator.count_tokens(prompt.text),
        "new_tokens": generator.count_tokens(raw) if raw else 0, "seconds": seconds,
        "em": exact_match(answer, question["answers"]),
        "f1": token_f1(answer, question["answers"]),
        "contains": contains(answer, question["answers"]),
        "verified": float(any(s.is_claim and s.verified for s in sentences)),
        "invented_number": float(bool(numbers(answer) - numbers(passage))),
    }


def summarize(model: str, name: str, rows: list[dict]) -> str:
    def mean(key: str) -> float:
        return statistics.fmean(r[key] for r in rows) if rows else 0.0
    seconds = sum(r["seconds"] for r in rows)
    tok_s = sum(r["new_tokens"] for r in rows) / seconds if seconds else 0.0
    return (f"| {model} | {name} | {len(rows)} | {mean('em'):.3f} | {mean('f1'):.3f} | {mean('contains'):.3f} "
            f"| {mean('verified'):.3f} | {mean('invented_number'):.3f} | {mean('seconds'):.2f} | {tok_s:.1f} "
            f"| {mean('prompt_tokens'):.0f} | {mean('new_tokens'):.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="smollm2,gemma3-270m")
    parser.add_argument("--sets", default="facqa-valid,xquad-en")
    parser.add_argument("--n", type=int, default=40, help="answerable questions per set (first N)")
    parser.add_argument("--full", action="store_true", help="every answerable question")
    parser.add_argument("--spread", action="store_true", help="N evenly spaced questions instead of the first N")
    parser.add_argument("--threads", type=int, help="llm_threads (default: the setting's default)")
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    n = None if args.full else args.n
    sets = {name: load_set(args.eval_dir, name, n, args.spread) for name in args.sets.split(",")}
    args.out.mkdir(parents=True, exist_ok=True)
    lines = []
    for model in args.models.split(","):
        settings = Settings.load({"llm_model": model, "llm_threads": args.threads}, env={})
        generator = Generator(settings)
        started = time.perf_counter()
        style = "chat template" if generator.is_chat_model else "few-shot completion"  # loads the model
        print(f"{model}: loaded in {time.perf_counter() - started:.1f} s, prompt style: {style}", flush=True)
        for name, items in sets.items():
            rows = []
            with (args.out / f"reader-{model}-{name}.jsonl").open("w", encoding="utf-8") as log:
                for i, (question, hit) in enumerate(items, 1):
                    row = answer_one(generator, settings, question, hit)
                    rows.append(row)
                    log.write(json.dumps(row, ensure_ascii=False) + "\n")
                    if i <= 3 or i % 10 == 0:
                        print(f"  {name} {i}/{len(items)} {row['seconds']:.1f}s  Q: {question['question'][:70]!r}"
                              f"  A: {row['raw'][:100]!r}  gold: {question['answers'][0][:40]!r}", flush=True)
            lines.append(summarize(model, name, rows))
            print(lines[-1], flush=True)
        del generator
    print("\n| model | set | n | EM | F1 | contains | verified | invented numbers | s/answer | tok/s "
          "| prompt tok | answer tok |\n|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
