"""The `rag` command: build the index, search it, inspect it, serve the web chat and its API, serve MCP tools."""
from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import RagError
from rag.library import Library
from rag.offline import guard_network
from rag.settings import SPECS, Settings, settings_table

if TYPE_CHECKING:
    from rag.library import BuildReport, Change

DESCRIPTION = """\
Offline question answering over a folder of news articles (Indonesian and English).

Typical use:
  rag index articles/            build or update the index from a folder (incremental)
  rag index --watch              the same, then again whenever files are added, changed or removed
  rag search "harga beras"       show the best matching passages with their scores
  rag info                       what is indexed and how the index was built
  rag serve                      start the web chat on http://127.0.0.1:7860 (and its API: docs/api.md)
  rag mcp                        the search, answers and articles as MCP tools (stdio)

Every setting can be given as a flag (--top-k 8), as an environment variable (RAG_TOP_K=8),
or left at its default; flags win over environment variables. `rag settings` lists them.
"""
logger = logging.getLogger("rag.cli")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code: 2 for an error the user can fix (its message
    is printed), 1 for a bug (logged with its traceback)."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    overrides = {name: getattr(args, name) for name in Settings.names() if hasattr(args, name)}
    try:
        settings = Settings.load(overrides)
        guard_network(settings.remote_hosts)
        return args.handler(args, settings)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the output's reader stopped early (`rag search ... | head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush fails silently
        return 1
    except Exception:
        logger.exception("rag %s failed: this is a bug", args.command)
        return 1


def _parser() -> argparse.ArgumentParser:
    settings_flags = argparse.ArgumentParser(add_help=False)
    group = settings_flags.add_argument_group("settings (also RAG_<NAME> environment variables)")
    for spec in SPECS.values():
        choices = spec.choices or (("true", "false") if spec.kind is bool else ())
        metavar = "{" + ",".join(choices) + "}" if choices else spec.name.split("_")[-1].upper()
        facts = [f"default: {spec.default_text}" if spec.default_text else "empty by default",
                 "" if choices else spec.allowed()]
        group.add_argument(spec.flag, dest=spec.name, default=argparse.SUPPRESS, metavar=metavar,
                           help=f"{spec.plain_help} ({'; '.join(filter(None, facts))})".replace("%", "%%"))
    settings_flags.add_argument("-v", "--verbose", action="store_true", help="log progress details")

    parser = argparse.ArgumentParser(prog="rag", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    index = commands.add_parser("index", parents=[settings_flags], help="build or update the index from a folder",
                                description="Add new articles, re-embed changed ones, drop deleted ones. "
                                            f"Reads {' '.join(Library.formats)}, recursively.")
    index.add_argument("folder", nargs="?", type=Path, help="articles folder (default: the articles_dir setting)")
    index.add_argument("--watch", action="store_true",
                       help="keep watching the folder and update the index when files change (Ctrl-C stops)")
    index.set_defaults(handler=_cmd_index)

    search = commands.add_parser("search", parents=[settings_flags],
                                 help="show the passages that best match a question")
    search.add_argument("question")
    search.add_argument("-k", type=int, default=None, help="number of passages (default: the top_k setting)")
    search.set_defaults(handler=_cmd_search)

    ask = commands.add_parser("ask", parents=[settings_flags], help="answer a question with checked citations",
                              description="Streams the answer, then lists each sentence's citation, whether it "
                                          "was verified against the source, and the supporting source sentence.")
    ask.add_argument("question")
    ask.add_argument("--article", metavar="ID", help="ask about this article only (its id, as `rag search` shows it)")
    ask.set_defaults(handler=_cmd_ask)

    evaluate = commands.add_parser(
        "eval", parents=[settings_flags], help="measure retrieval (and answers) on a question set",
        description="Index ARTICLES (JSONL: id, title, text) and score QUESTIONS (JSONL: id, question, answers, "
                    "article_id or null): recall@k and MRR@10 per leg and fused; with --answers also exact "
                    "match, token F1, refusals, citation precision and latency.")
    evaluate.add_argument("--articles", type=Path, required=True)
    evaluate.add_argument("--questions", type=Path, required=True)
    evaluate.add_argument("--k", type=_cutoffs, default=(1, 5, 20), help="cut-offs for recall (default 1,5,20)")
    evaluate.add_argument("--answers", action="store_true", help="also generate and score answers (slow)")
    evaluate.add_argument("--limit", type=int, help="only the first N questions")
    evaluate.add_argument("--spread", action="store_true", help="with --limit: N evenly spaced questions")
    evaluate.add_argument("--report", type=Path, help="write the full report as JSON")
    evaluate.set_defaults(handler=_cmd_eval)

    info = commands.add_parser("info", parents=[settings_flags], help="what is indexed and how it was built")
    info.set_defaults(handler=_cmd_info)

    serve = commands.add_parser("serve", parents=[settings_flags], help="start the web chat and its HTTP API")
    serve.set_defaults(handler=_cmd_serve)

    mcp = commands.add_parser("mcp", parents=[settings_flags], help="serve the MCP tools (stdio) for assistants",
                              description="An MCP server with the tools search_articles, ask and list_articles over "
                                          "the index (build it first with `rag index`), on stdin/stdout; with --http "
                                          "over streamable HTTP at http://HOST:PORT/mcp, with the API's access rules.")
    mcp.add_argument("--http", action="store_true", help="streamable HTTP instead of stdio")
    mcp.set_defaults(handler=_cmd_mcp)

    listing = commands.add_parser("settings", parents=[settings_flags], help="list every setting and its value")
    listing.add_argument("--markdown", action="store_true",
                         help="print the README's table of settings (defaults, values, meaning) instead")
    listing.set_defaults(handler=_cmd_settings)
    return parser


def _cutoffs(text: str) -> tuple[int, ...]:
    """``--k 1,5,20`` as numbers (argparse reports anything else as a usage error)."""
    try:
        return tuple(int(k) for k in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, e.g. 1,5,20; got {text!r}") from None


def _cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    library = Library(settings)
    if args.watch:
        return _until_ctrl_c(lambda: _watch(library, args.folder), "stopped watching")
    _print_report(library.rebuild(args.folder))
    return 0


def _until_ctrl_c(work: Callable[[], int], goodbye: str) -> int:
    """``work``'s exit code, ``work`` running on a thread while the main thread waits: Ctrl-C then ends the
    process within a tenth of a second, even while a build computes or the CPUs are busy, saying ``goodbye``.

    The process ends without the interpreter's shutdown, which takes seconds on a busy machine: nothing is lost,
    as every build is switched to atomically (one under way is discarded by the next) and chats are committed
    as they are written.
    """
    outcome: list[int | BaseException] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:  # noqa: BLE001 - raised again in the main thread, where main() reports it
            outcome.append(exc)

    thread = threading.Thread(target=run, name="rag-work", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.1)
    except KeyboardInterrupt:
        print(goodbye, file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def _watch(library: Library, folder: Path | None) -> int:
    """Build once, then once per burst of changes in the folder, one line each (until Ctrl-C)."""
    folder = folder or library.settings.articles_dir
    for number, change in enumerate(library.watch(folder=folder, build_first=True)):
        if change.error and number == 0:  # as `rag index` without --watch: the first build must work
            print(f"error: {change.error}", file=sys.stderr)
            return 2
        if change.error:
            print(f"{_clock(change)} {change.noted()}: rebuild failed: {change.error}", file=sys.stderr, flush=True)
            continue
        if number == 0:
            _print_report(change.report)
            print(f"watching {folder} for new, changed and removed articles (Ctrl-C stops)", flush=True)
            continue
        for problem in change.report.problems:
            print(f"skipped {problem}", file=sys.stderr)
        print(f"{_clock(change)} {change.noted()}: {change.report.summary()}", flush=True)
    return 0


def _clock(change: Change) -> str:
    return f"{change.at.astimezone():%H:%M:%S}"


def _print_report(report: BuildReport) -> None:
    for problem in report.problems:
        print(f"skipped {problem}", file=sys.stderr)
    for kept, duplicate in report.duplicates:
        print(f"duplicate: {duplicate} has the same content as {kept} (indexed once)")
    for article_id in report.kept_unreadable:
        print(f"kept: {article_id} (its file could not be read; the indexed copy stays)")
    if report.full_rebuild_reason:
        print(f"full rebuild: {report.full_rebuild_reason}")
    print(report.summary())
    print(f"index: {report.version or 'up to date, nothing written'}", flush=True)


def _cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    for rank, hit in enumerate(Library(settings).search(args.question, args.k), 1):
        dense = "-" if hit.dense_score is None else f"{hit.dense_score:.3f}"
        lexical = "-" if hit.lexical_score is None else f"{hit.lexical_score:.2f}"
        date = f" ({hit.published})" if hit.published else ""
        print(f"{rank}. {hit.title}{date}  [{hit.article_id}, chars {hit.start}-{hit.end}]")
        print(f"   score {hit.score:.3f}  dense {dense}  bm25 {lexical}")
        print("   " + " ".join(hit.text.split())[:400])
    return 0


def _cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from rag.answer.records import QUOTE_LABELS, Answer, EvidenceFound, Token

    answer, drafting = None, False
    for event in Library(settings).ask(args.question, article=args.article):
        if isinstance(event, EvidenceFound) and event.shape == "fact":
            for citation in event.evidence:
                print(f"evidence [{citation.number}] {citation.title}: \"{citation.quote}\"")
        elif isinstance(event, Token):
            if not drafting:
                print("draft (being checked): ", end="")
                drafting = True
            print(event.text, end="", flush=True)
        elif isinstance(event, Answer):
            answer = event
    if answer is None:  # pragma: no cover - the pipeline always ends with an Answer
        return 1
    print("\n" if drafting else "")
    for label in filter(None, [answer.read_as_label, answer.as_of_label]):  # a refusal has no date
        print(label)
    if answer.refusal:
        print(f"{answer.text}\n({answer.refusal})")
        for citation in answer.closest:
            print(f"  [{citation.number}] {citation.title} ({citation.published or 'no date'}): \"{citation.quote}\"")
        for number, hit in enumerate(answer.passages[:0 if answer.closest else 3], 1):
            print(f"  [{number}] {hit.title} ({hit.published or 'no date'}): {' '.join(hit.text.split())[:200]}")
        return 0
    fact = answer.shape == "fact"  # an open question's points cite whole articles: each is listed once
    if not fact:
        print(answer.text)
    elif answer.extractive:
        print(f"{QUOTE_LABELS.get(answer.language, QUOTE_LABELS['en'])}: {answer.text}")
    else:
        print(f"answer: {answer.text}")
    for sentence in answer.dropped:
        print(f"removed (not supported: {'; '.join(sentence.problems)}): {sentence.text}")
    print("\nCitations:")
    for citation in answer.evidence if fact else list({c.number: c for c in answer.evidence}.values()):
        print(f"  [{citation.number}] {citation.title} ({citation.published or 'no date'}), {citation.article_id}"
              + (f" chars {citation.start}-{citation.end}: \"{citation.quote}\"" if fact else ""))
    t = answer.timings
    print(f"(retrieval {t.retrieval:.2f}s, evidence {t.evidence or 0:.2f}s, first token {t.first_token or 0:.2f}s, "
          f"total {t.total:.2f}s)")
    return 0


def _cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from rag.eval.open_questions import open_table
    from rag.eval.run import evaluate

    ks = args.k
    report = evaluate(args.articles, args.questions, settings, ks, args.answers, args.limit, args.spread)
    if "open_answers" in report:
        print(open_table(report["open_answers"]))
    else:
        _print_closed(report, ks)
    if args.report:
        args.report.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
        print(f"report: {args.report}")
    return 0


def _print_closed(report: dict, ks: tuple[int, ...]) -> None:
    questions = report["questions"]
    print(f"{questions['total']} questions ({questions['answerable']} answerable), "
          f"{report['articles']['indexed']} articles indexed, {len(report['articles']['skipped'])} skipped")
    columns = [f"recall@{k}" for k in ks] + ["mrr@10"] + [f"answer@{k}" for k in ks]
    print("| leg | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for leg, metrics in report["retrieval"].items():
        print(f"| {leg} | " + " | ".join(f"{metrics[c]:.3f}" for c in columns) + " |")
    for name, value in report.get("answers", {}).items():
        print(f"{name}: {'-' if value is None else f'{value:.3f}'}")
    for name, value in {**report["latency"], **report.get("latency_answers", {})}.items():
        print(f"latency {name}: " + ", ".join(f"{k} {v:.3f}s" for k, v in value.items()))


def _cmd_info(args: argparse.Namespace, settings: Settings) -> int:
    status = Library(settings).status()
    print(f"index:      {status['version']}")
    print(f"articles:   {status['articles']}")
    print(f"chunks:     {status['chunks']}")
    print(f"built:      {status['built_at']}")
    print(f"embedder:   {status['embed_model']} (dimension {status['dimension']})")
    print(f"LLM:        {status['llm_model']}")
    print(f"signature:  {status['signature']}")
    for key, value in status["built_with"].items():
        print(f"  {key}: {value}")
    return 0


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from rag.web.app import launch

    def serve() -> int:
        launch(settings)
        return 0

    return _until_ctrl_c(serve, "stopped serving")


def _cmd_mcp(args: argparse.Namespace, settings: Settings) -> int:
    from rag.api.mcp_server import serve_mcp

    serve_mcp(Library(settings), http=args.http)
    return 0


def _cmd_settings(args: argparse.Namespace, settings: Settings) -> int:
    if args.markdown:
        print(settings_table())
        return 0
    for spec in SPECS.values():
        value = getattr(settings, spec.name)
        print(f"{spec.name} = {'(set, hidden)' if spec.secret and value else value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
