"""Whether to answer: the evidence's score against ``min_answerability``, and again once the model has read the
evidence, lowered by how likely it was to decline ("Tidak disebutkan" / "Not mentioned")."""
from __future__ import annotations

from dataclasses import dataclass

from rag.answer.evidence import Ranking

MODEL_DOUBT_WEIGHT = 0.5  # share of the model's decline probability taken off the answerability: at 1.0,
                          # 0.25 of XQuAD's answerable questions were refused (bench/RESULTS.md §2a)


@dataclass(frozen=True)
class Decision:
    """The answerability score and, when it is too low, why the answer is refused (for logs and details)."""

    score: float
    refusal: str | None = None


def decide(ranking: Ranking, minimum: float) -> Decision:
    """Refuse when the best evidence sentence answers too weakly."""
    score = ranking.answerability
    if score < minimum:
        return Decision(score, f"weak evidence: the best sentence scores {score:.2f} "
                               f"(< min_answerability {minimum:.2f})")
    return Decision(score)


def reconsider(decision: Decision, decline_probability: float, minimum: float) -> Decision:
    """The decision once the model has read the evidence and was ``decline_probability`` likely to decline."""
    score = decision.score * (1.0 - MODEL_DOUBT_WEIGHT * decline_probability)
    if score < minimum:
        return Decision(score, f"the model finds no answer in the evidence: the score falls to {score:.2f} "
                               f"(< min_answerability {minimum:.2f})")
    return Decision(score)
