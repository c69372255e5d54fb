"""Decode speed of the installed llama.cpp build, extra buffer types on vs off (and another build).

    python -m bench.experiments.llama_build [--runs 5] [--other-python /path/to/venv/bin/python]

Each case runs in its own subprocess (a crash in ggml shows as "crashed", not a dead benchmark);
the table gives median tokens/s over --runs runs, interleaved so machine noise hits all cases alike.
--other-python compares a second llama-cpp-python build (e.g. a default -march=native build).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

from rag.llm.files import resolve_gguf

CASE = """
import sys, time, llama_cpp
extra = sys.argv[1] == "1"
original = llama_cpp.llama_cpp.llama_model_default_params
def params():
    p = original(); p.use_extra_bufts = extra; return p
llama_cpp.llama_cpp.llama_model_default_params = params
llm = llama_cpp.Llama(model_path=sys.argv[2], n_ctx=512, n_threads=2, verbose=False)
start = time.perf_counter()
out = llm.create_completion("The capital of France is", max_tokens=64, temperature=0)
print(out["usage"]["completion_tokens"] / (time.perf_counter() - start))
"""


def run_case(python: str, extra: bool, model: str) -> float | None:
    result = subprocess.run([python, "-c", CASE, "1" if extra else "0", model], capture_output=True, text=True)
    return float(result.stdout.strip()) if result.returncode == 0 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--other-python", help="interpreter of a venv with another llama-cpp-python build")
    args = parser.parse_args()
    builds = {"this build": sys.executable} | ({"other build": args.other_python} if args.other_python else {})
    models = {name: str(resolve_gguf(name)) for name in ("smollm2", "gemma3-270m")}
    samples: dict[tuple[str, str, bool], list[float | None]] = {}
    for _ in range(args.runs):
        for build, python in builds.items():
            for name, path in models.items():
                for extra in (False, True):
                    samples.setdefault((build, name, extra), []).append(run_case(python, extra, path))
    print("| build | model | extra buffers | decode tok/s (median) | crashed runs |")
    print("|---|---|---|---|---|")
    for (build, name, extra), values in samples.items():
        ok = [v for v in values if v is not None]
        speed = f"{statistics.median(ok):.1f}" if ok else "-"
        print(f"| {build} | {name} | {'on' if extra else 'off'} | {speed} | {len(values) - len(ok)}/{len(values)} |")


if __name__ == "__main__":
    main()
