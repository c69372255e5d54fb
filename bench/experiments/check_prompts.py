"""Lab: which wording of the answer check (rag/answer/assessment.py) separates right shown answers from wrong
ones best. Re-scores the answers a `python -m bench.verify` (or `bench.answers`) run saved — the same drafts,
quotes and cited sentences — under each prompt variant, and prints the AUC per set and variant.

    python -m bench.experiments.check_prompts bench/out/verify-facqa-valid.json bench/out/verify-news-real.json
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

from bench.verify import auc
from rag.answer.assessment import CHECK_SYSTEM, CHECK_USER, NO, YES
from rag.answer.markers import strip_markers
from rag.answer.prompting import common_lines
from rag.library import Library
from rag.settings import Settings

logger = logging.getLogger(__name__)

# Examples for the few-shot variant: made up, none from a dev or test set; each a way a cited sentence can fail
# to answer (the wrong role, a near-miss, a sentence on the subject that is not the reason) or answer.
EXAMPLES = [
    ("Bank Indonesia held its benchmark rate at 6 percent on Wednesday.",
     "At what level did Bank Indonesia hold its benchmark rate?", "6 percent", "Yes"),
    ("Andi scored in the 70th minute, after Rudi's opening goal in the 12th.",
     "Who scored the first goal?", "Andi", "No"),
    ("Banjir merendam 300 rumah di Kudus sejak Senin.", "Berapa rumah yang terendam banjir di Kudus?", "300 rumah",
     "Yes"),
    ("The concert sold 5,000 tickets in one hour.", "How many musicians performed at the concert?", "5,000", "No"),
    ("Jalan itu ditutup pada Senin pagi. Pengendara menunggu berjam-jam.", "Mengapa jalan itu ditutup?",
     "Pengendara menunggu berjam-jam.", "No"),
    ("The novel by Ana Reyes won the fiction prize; Tom Hale won the poetry prize.",
     "Who won the poetry prize?", "Tom Hale", "Yes"),
]


def zero_shot(text: str, question: str, answer: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": CHECK_SYSTEM},
            {"role": "user", "content": CHECK_USER.format(text=text, question=question, answer=answer)}]


def few_shot(text: str, question: str, answer: str) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": CHECK_SYSTEM}]
    for example_text, example_question, example_answer, reply in EXAMPLES:
        messages += [{"role": "user", "content": CHECK_USER.format(text=example_text, question=example_question,
                                                                   answer=example_answer)},
                     {"role": "assistant", "content": reply}]
    return [*messages, {"role": "user", "content": CHECK_USER.format(text=text, question=question, answer=answer)}]


STRICT_SYSTEM = ("You check answers to questions about news. The proposed answer is right only if the text says it "
                 "is exactly what the question asks: the same person in the same role (first, winner of which "
                 "prize, president or deputy), the same time, place and thing counted, and for 'why' a cause. If "
                 "the text is only about the same subject, or the question asks something the text does not give, "
                 "reply No. Reply only Yes or No.")


def strict(text: str, question: str, answer: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": STRICT_SYSTEM},
            {"role": "user", "content": CHECK_USER.format(text=text, question=question, answer=answer)}]


ANSWERS_IT_SYSTEM = ("You check whether a news text answers a question. Reply only Yes if the text states what "
                     "the question asks (the asked person, role, time, place, quantity or reason), or No if it is only "
                     "about the same subject.")


def answers_it(text: str, question: str, answer: str) -> list[dict[str, str]]:
    """Without the proposed answer: for a quote, the answer is the text itself."""
    return [{"role": "system", "content": ANSWERS_IT_SYSTEM},
            {"role": "user", "content": f"Text: {text}\nQuestion: {question}\nDoes the text answer the question? "
                                        "Yes or No?"}]


VARIANTS = {"zero-shot": zero_shot, "few-shot": few_shot, "strict": strict, "answers-it": answers_it}


def cited(detail: dict) -> str:
    parts: list[str] = []
    for sentence in detail["sentences"]:
        for citation in sentence["citations"]:
            for part in (citation["title"] + ".", citation["quote"]):
                if part not in parts:
                    parts.append(part)
    return " ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--quotes", action="store_true", help="only the answers that are the quoted evidence")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    generator = Library(Settings.load({}, env={})).pipeline.generator
    for run in args.runs:
        details = [d for d in json.loads(run.read_text(encoding="utf-8"))["answer_details"]
                   if not d["refusal"] and d["sentences"] and (d["extractive"] or not args.quotes)]
        for name in args.variants.split(","):
            build = VARIANTS[name]
            prefix = common_lines([generator.render_chat(build("a", "a?", "a"))[0],
                                   generator.render_chat(build("b", "b?", "b"))[0]])
            scored = []
            started = time.monotonic()
            for detail in details:
                messages = build(cited(detail), detail["question"], strip_markers(detail["text"]))
                words = generator.word_probabilities(generator.render_chat(messages)[0], [*YES, *NO],
                                                     messages=messages, prefix=prefix)
                yes, no = sum(words[w] for w in YES), sum(words[w] for w in NO)
                scored.append((yes / (yes + no) if yes + no else 0.0, detail["right"]))
                logger.info("%s %s %.2f (recorded %.2f)", detail["id"], name, scored[-1][0], detail["confidence"] or 0)
            seconds = (time.monotonic() - started) / max(len(details), 1)
            area = auc([c for c, r in scored if r], [c for c, r in scored if not r])
            right = sum(r for _, r in scored)
            best = max(((sum(r for c, r in scored if c >= t) / max(sum(c >= t for c, _ in scored), 1),
                         sum(r for c, r in scored if c >= t), t) for t in sorted({c for c, _ in scored})
                        if sum(r for c, r in scored if c >= t) >= 0.9 * right), default=(0, 0, 0))
            print(f"{run.name} {name}: AUC {area:.3f} over {len(scored)} shown ({right} right); keeping 90% of the "
                  f"right ones: precision {best[0]:.3f} at {best[2]:.2f}; {seconds:.2f} s per check", flush=True)


if __name__ == "__main__":
    main()
