"""Generation overhead: `rag ask`'s streaming path against raw llama-cpp-python, same model and prompt.

    .venv/bin/python -m bench.experiments.generation          # gemma3-270m, 3 questions, 3 runs each
    .venv/bin/python -m bench.experiments.generation --full   # gemma3-270m and smollm2, 6 questions, 5 runs each

The sample articles/ folder is indexed into a temporary folder. For each model and question, one
warm-up call of ``Pipeline.answer`` (the API `rag ask` streams) records the exact ``create_completion``
call the product makes (prompt and keyword arguments) through a pass-through spy on its ``Llama``.
A second ``llama_cpp.Llama`` is then created directly with the same model file, n_ctx, n_threads,
seed and extra-buffer setting, and the two paths run interleaved in this process (the order flips
every pair), each instance seeing the same sequence of prompts, so llama-cpp-python's prompt-prefix
reuse helps both alike:

- product: ``Pipeline.answer`` (retrieval, prompt building, streaming through Generator, citation
  check). TTFT = from the Retrieved event to the first Token; decode tok/s = (tokens - 1) / (end of
  the llama stream - first Token); total = question in to Answer out;
- raw: ``llm.create_completion(prompt, **same_kwargs)`` with ``stream=True``. TTFT = call to the
  first non-empty chunk; decode tok/s likewise; total = call to the end of the stream.

tokens = tokens sampled by llama.cpp (EOS / stop-string tokens included), read from ``llm.n_tokens``,
so both paths count the same way. Ratios are taken per interleaved pair (same question, same run),
then the median over pairs. Settings come from RAG_* variables as usual (e.g. RAG_LLM_THREADS=2).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rag.answer.pipeline import Pipeline
from rag.answer.records import Answer, Retrieved, Token
from rag.indexing.builder import build_index
from rag.llm.files import resolve_gguf
from rag.llm.generator import Generator
from rag.retrieve.retriever import Retriever
from rag.settings import Settings
from tests.helpers.corpus import SAMPLE_ARTICLES, SAMPLE_QUESTIONS

if TYPE_CHECKING:
    from llama_cpp import Llama

TARGET = 0.95


@dataclass
class Call:
    """One ``create_completion`` call seen by the spy: what was asked and when the stream moved."""

    prompt: str
    kwargs: dict[str, Any]
    started: float
    first: float | None = None
    end: float | None = None


@dataclass
class Sample:
    """One timed generation."""

    ttft: float
    decode: float  # tokens/s after the first token
    generation: float  # seconds from the end of retrieval (product) / the call (raw) to the end of the stream
    total: float
    tokens: int
    text: str
    parts: dict[str, float] = field(default_factory=dict)  # product only: where the time went


def pick_questions(n: int) -> list[str]:
    """``n`` evenly spaced questions of tests/sample_questions.json (first and last included)."""
    items = json.loads(SAMPLE_QUESTIONS.read_text(encoding="utf-8"))
    if n >= len(items):
        return [item["question"] for item in items]
    indices = sorted({round(i * (len(items) - 1) / max(n - 1, 1)) for i in range(n)})
    return [items[i]["question"] for i in indices]


def install_spy(llm: Any) -> list[Call]:
    """Record every ``create_completion`` call of ``llm`` (arguments, first chunk, end); passes all through."""
    calls: list[Call] = []
    original = llm.create_completion

    def spy(prompt: str, **kwargs: Any) -> Any:
        call = Call(prompt, dict(kwargs), time.perf_counter())
        calls.append(call)
        result = original(prompt, **kwargs)
        return _timed_stream(result, call) if kwargs.get("stream") else result

    llm.create_completion = spy
    return calls


def _timed_stream(chunks: Iterator[dict], call: Call) -> Iterator[dict]:
    for chunk in chunks:
        if call.first is None and chunk["choices"][0]["text"]:
            call.first = time.perf_counter()
        yield chunk
    call.end = time.perf_counter()


def sampled_tokens(llm: Any, prompt_tokens: int) -> int:
    """Tokens sampled by the last completion: the last one is never evaluated, hence + 1."""
    return llm.n_tokens - prompt_tokens + 1


def run_product(pipeline: Pipeline, question: str, calls: list[Call], prompt_tokens: int) -> Sample:
    """One ``Pipeline.answer`` run, timed from its events and the spy."""
    started = time.perf_counter()
    retrieved = first = answered = None
    pieces: list[str] = []
    for event in pipeline.answer(question):
        now = time.perf_counter()
        if isinstance(event, Retrieved):
            retrieved = now
        elif isinstance(event, Token):
            first = first or now
            pieces.append(event.text)
        elif isinstance(event, Answer):
            answered = now
    call = calls[-1]
    if (first is None or retrieved is None or answered is None or call.started < started or call.first is None
            or call.end is None):
        raise RuntimeError(f"no generation for {question!r} (refused before generating?)")
    tokens = sampled_tokens(local_llm(pipeline), prompt_tokens)
    parts = {"retrieval": retrieved - started, "prompt building": call.started - retrieved,
             "llama TTFT": call.first - call.started, "after stream (citation check)": answered - call.end}
    return Sample(first - retrieved, _rate(tokens, call.end - first), call.end - retrieved, answered - started,
                  tokens, "".join(pieces), parts)


def run_raw(llm: Any, call: Call, prompt_tokens: int) -> Sample:
    """One direct ``create_completion`` with the product's prompt and arguments."""
    started = time.perf_counter()
    first = None
    pieces: list[str] = []
    for chunk in llm.create_completion(call.prompt, **call.kwargs):
        text = chunk["choices"][0]["text"]
        if text:
            first = first or time.perf_counter()
            pieces.append(text)
    end = time.perf_counter()
    if first is None:
        raise RuntimeError("the raw completion produced no text")
    tokens = sampled_tokens(llm, prompt_tokens)
    return Sample(first - started, _rate(tokens, end - first), end - started, end - started, tokens, "".join(pieces))


def _rate(tokens: int, seconds: float) -> float:
    return (tokens - 1) / seconds if seconds > 0 and tokens > 1 else float("nan")


@contextlib.contextmanager
def same_model_params(use_extra_bufts: bool) -> Iterator[None]:
    """Make ``llama_cpp.Llama()`` start from model params with the product's ``use_extra_bufts``."""
    import llama_cpp

    module = llama_cpp.llama_cpp
    original = module.llama_model_default_params

    def params():
        p = original()
        p.use_extra_bufts = use_extra_bufts
        return p

    module.llama_model_default_params = params
    try:
        yield
    finally:
        module.llama_model_default_params = original


def raw_llama(product: Any, settings: Settings, seed: int) -> Any:
    """A plain ``llama_cpp.Llama`` with the product instance's model file, n_ctx, threads and ``seed``
    (read from the loaded instance, so an automatic ``llm_threads=0`` is matched too)."""
    import llama_cpp

    with same_model_params(bool(product.model_params.use_extra_bufts)):
        return llama_cpp.Llama(model_path=str(resolve_gguf(settings.llm_model)), n_ctx=product.n_ctx(),
                               n_threads=product.n_threads, seed=seed, verbose=False)


def param_differences(a: Any, b: Any) -> list[str]:
    """Scalar fields of the two instances' llama_model_params / llama_context_params that differ.

    ``_seed`` moves on at every completion; after the same number of calls from the same start it
    must still be equal."""
    diffs = []
    for name in ("model_params", "context_params"):
        x, y = getattr(a, name), getattr(b, name)
        for field_name, _ in x._fields_:
            u, v = getattr(x, field_name), getattr(y, field_name)
            if isinstance(u, (int, float)) and u != v:  # pointers and callbacks are not compared
                diffs.append(f"{name}.{field_name}: {u} vs {v}")
    for attr in ("n_batch", "_seed", "_logits_all", "model_path"):
        if getattr(a, attr, None) != getattr(b, attr, None):
            diffs.append(f"{attr}: {getattr(a, attr, None)} vs {getattr(b, attr, None)}")
    return diffs


def local_llm(pipeline: Pipeline) -> Llama:
    """The ``llama_cpp.Llama`` the pipeline answers with (this benchmark times the in-process backend)."""
    assert isinstance(pipeline.generator, Generator), "needs llm_backend = local"
    return pipeline.generator.llm


def bench_model(model: str, settings: Settings, retriever: Retriever, questions: list[str], runs: int) -> dict:
    """Warm up, capture the product's calls, then interleave product and raw runs."""
    settings = settings.with_values({"llm_model": model})
    pipeline = Pipeline(settings, retriever=retriever)
    product_llm = local_llm(pipeline)
    seed = product_llm._seed  # what load_llama created it with (every completion moves it on)
    calls = install_spy(product_llm)
    captured: dict[str, Call] = {}
    prompt_tokens: dict[str, int] = {}
    for question in questions:  # warm-up: records the exact call the product makes
        before = len(calls)
        pipeline.ask(question)
        if len(calls) == before or calls[-1].end is None:
            print(f"skipped (no generation, refused on retrieval?): {question!r}")
            continue
        captured[question] = calls[-1]
        prompt_tokens[question] = len(product_llm.tokenize(calls[-1].prompt.encode("utf-8"), add_bos=True,
                                                           special=True))
    questions = list(captured)
    raw = raw_llama(product_llm, settings, seed)
    for question in questions:  # the same warm-up for the raw instance
        run_raw(raw, captured[question], prompt_tokens[question])
    pairs: list[tuple[str, Sample, Sample]] = []
    for run in range(runs):
        for question in questions:
            if len(pairs) % 2 == 0:  # alternate which path goes first, pair by pair
                p = run_product(pipeline, question, calls, prompt_tokens[question])
                r = run_raw(raw, captured[question], prompt_tokens[question])
            else:
                r = run_raw(raw, captured[question], prompt_tokens[question])
                p = run_product(pipeline, question, calls, prompt_tokens[question])
            if (calls[-1].prompt, calls[-1].kwargs) != (captured[question].prompt, captured[question].kwargs):
                raise RuntimeError(f"the product's prompt or arguments changed between runs for {question!r}")
            pairs.append((question, p, r))
            print(f"  run {run + 1}, {question[:40]!r}: TTFT product {p.ttft:.2f} s / raw {r.ttft:.2f} s, decode "
                  f"{p.decode:.1f} / {r.decode:.1f} tok/s, {p.tokens} / {r.tokens} tokens", flush=True)
    return {"model": model, "settings": settings, "captured": captured, "prompt_tokens": prompt_tokens,
            "pairs": pairs, "param_diffs": param_differences(product_llm, raw), "seed": seed,
            "n_batch": product_llm.n_batch, "n_threads": product_llm.n_threads,
            "n_ctx": product_llm.n_ctx(), "extra_bufts": bool(product_llm.model_params.use_extra_bufts)}


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio_cell(ratios: list[float], target: float | None = TARGET) -> str:
    """Median of per-pair ratios in bold, its interquartile range, and the verdict against ``target``."""
    low, _, high = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else (ratios[0],) * 3
    verdict = "" if target is None else f" {'ok' if med(ratios) >= target else 'BELOW'} (target >= {target})"
    return f"**{med(ratios):.3f}** (IQR {low:.2f}-{high:.2f}){verdict}"


def print_report(results: list[dict], runs: int) -> None:
    """Parameters, the main table with ratio rows, the product's time breakdown, and output checks."""
    for res in results:
        s: Settings = res["settings"]
        first = next(iter(res["captured"].values()))
        kwargs = dict(first.kwargs)
        print(f"\n{res['model']}: {resolve_gguf(s.llm_model).name}, n_ctx {res['n_ctx']}, n_threads "
              f"{res['n_threads']}, n_batch {res['n_batch']}, seed {res['seed']}, extra buffers "
              f"{'on' if res['extra_bufts'] else 'off'}; create_completion kwargs {kwargs}; prompt tokens "
              f"{sorted(res['prompt_tokens'].values())}")
        print("  llama params differing between the product and raw instances:",
              "; ".join(res["param_diffs"]) or "none")
    print("\n| model | path | TTFT p50 (s) | decode tok/s p50 | generation s p50 | total s p50 | tokens |")
    print("|---|---|---|---|---|---|---|")
    for res in results:
        pairs = res["pairs"]
        for name, index in (("product (Pipeline.answer)", 1), ("raw llama-cpp-python", 2)):
            samples = [pair[index] for pair in pairs]
            tokens = sorted({x.tokens for x in samples})
            print(f"| {res['model']} | {name} | {med([x.ttft for x in samples]):.3f} | "
                  f"{med([x.decode for x in samples]):.1f} | {med([x.generation for x in samples]):.2f} | "
                  f"{med([x.total for x in samples]):.2f} | {med([x.tokens for x in samples]):.0f} "
                  f"({min(tokens)}-{max(tokens)}) |")
        decode = [p.decode / r.decode for _, p, r in pairs]
        ttft = [r.ttft / p.ttft for _, p, r in pairs]
        generation = [r.generation / p.generation for _, p, r in pairs]
        print(f"| {res['model']} | **ratio decode tok/s product/raw** | | {ratio_cell(decode)} | | | |")
        print(f"| {res['model']} | **ratio TTFT raw/product** | {ratio_cell(ttft)} | | | | |")
        print(f"| {res['model']} | ratio generation time raw/product | | | {ratio_cell(generation, None)} | | |")
    print(f"\n({len(results[0]['pairs'])} interleaved pairs per model = questions x {runs} runs; medians; "
          "ratios = median of per-pair ratios, with their interquartile range)")
    print("\nWhere the product's time goes (median s per answer):\n")
    parts = list(results[0]["pairs"][0][1].parts)
    print("| model | " + " | ".join(parts) + " |")
    print("|---|" + "---|" * len(parts))
    for res in results:
        print(f"| {res['model']} | " + " | ".join(
            f"{med([p.parts[k] for _, p, _ in res['pairs']]):.3f}" for k in parts) + " |")
    print()
    for res in results:
        mismatches = [(q, p, r) for q, p, r in res["pairs"] if p.text != r.text or p.tokens != r.tokens]
        print(f"{res['model']}: product and raw outputs identical in "
              f"{len(res['pairs']) - len(mismatches)}/{len(res['pairs'])} pairs")
        for question, p, r in mismatches[:3]:
            print(f"  DIFFERS on {question!r}: product {p.tokens} tokens {p.text!r} / raw {r.tokens} tokens {r.text!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="both bundled models, 6 questions, 5 runs")
    parser.add_argument("--models", help="comma-separated llm_model values (default gemma3-270m; --full both)")
    parser.add_argument("--questions", type=int, help="number of sample questions (default 3; --full 6)")
    parser.add_argument("--runs", type=int, help="interleaved runs per question and path (default 3; --full 5)")
    args = parser.parse_args()
    models = (args.models or ("gemma3-270m,smollm2" if args.full else "gemma3-270m")).split(",")
    questions = pick_questions(args.questions or (6 if args.full else 3))
    runs = args.runs or (5 if args.full else 3)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.load({"index_dir": tmp})
        build_index(SAMPLE_ARTICLES, settings)
        retriever = Retriever(settings)
        results = []
        for model in models:
            print(f"benchmarking {model} ({len(questions)} questions x {runs} runs x 2 paths) ...", flush=True)
            results.append(bench_model(model, settings, retriever, questions, runs))
        print_report(results, runs)


if __name__ == "__main__":
    main()
