"""`twitchcheck run | shell | validate | check | graph | test` (design §3)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import ConfigError, Settings
from bot.engine.errors import FlowErrors


def _paths(args: argparse.Namespace, settings: Settings) -> list[Path]:
    return [Path(p) for p in args.paths] if getattr(args, "paths", None) else [settings.flows_dir]


def _report(errors: FlowErrors) -> int:
    for problem in errors.problems:
        print(f"error: {problem}", file=sys.stderr)
    print(f"{len(errors.problems)} problem(s) found.", file=sys.stderr)
    return 1


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    """Shape and meaning checks of flows and content."""
    from bot.bootstrap import load_all

    loaded = load_all(_paths(args, settings), settings.content_dir, prove=False)
    for warning in loaded.warnings:
        print(f"warning: {warning}")
    print(f"OK: {len(loaded.flows)} flow(s) valid: {', '.join(sorted(loaded.flows))}")
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Validation plus the static safety proof."""
    from bot.bootstrap import load_all

    loaded = load_all(_paths(args, settings), settings.content_dir, prove=True)
    for warning in loaded.warnings:
        print(f"warning: {warning}")
    for flow in loaded.flows.values():
        print(
            f"OK: {flow.id}: {len(flow.steps)} steps reachable, every path ends in an outcome, "
            "no red flag can end in 🟢, emergency signs give 🚨"
        )
    return 0


def cmd_graph(args: argparse.Namespace, settings: Settings) -> int:
    """Print the flow as a Mermaid or Graphviz diagram."""
    from bot.bootstrap import load_all
    from bot.engine.graph import to_dot, to_mermaid

    loaded = load_all([settings.flows_dir], settings.content_dir, prove=False)
    flow_id = args.flow or next(iter(sorted(loaded.flows)))
    if flow_id not in loaded.flows:
        print(f"error: no flow '{flow_id}'; flows: {', '.join(sorted(loaded.flows))}", file=sys.stderr)
        return 1
    render = to_dot if args.format == "dot" else to_mermaid
    print(render(loaded.flows[flow_id]))
    return 0


def cmd_test(args: argparse.Namespace, settings: Settings) -> int:
    """Run the YAML conversation cases in flows/tests/."""
    from bot.bootstrap import load_all
    from bot.engine.cases import case_files, run_cases
    from bot.engine.corpus import load_corpus, run_corpus

    loaded = load_all([settings.flows_dir], settings.content_dir, prove=False)
    engine = loaded.engine()
    files = [Path(p) for p in args.paths] if args.paths else case_files(settings.flows_dir / "tests")
    passed = failed = 0
    for file in files:
        corpus = load_corpus(file, engine.flows)
        if corpus is not None:
            report = run_corpus(engine, corpus)
            verdict = "PASS" if report.passed else "FAIL"
            print(f"{verdict} {file.name}: language corpus")
            print("\n".join(report.lines()))
            passed, failed = passed + report.passed, failed + (not report.passed)
            continue
        for result in run_cases(engine, file):
            if result.passed:
                passed += 1
                print(f"PASS {file.name}: {result.name}")
            else:
                failed += 1
                print(f"FAIL {file.name}: {result.name}\n{result.transcript}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


def cmd_shell(args: argparse.Namespace, settings: Settings) -> int:
    """Hold the conversation in this terminal."""
    from bot.bootstrap import load_all
    from bot.shell import run_shell

    loaded = load_all([settings.flows_dir], settings.content_dir)
    engine = loaded.engine()
    if args.flow and args.flow not in engine.flows:
        print(f"error: no flow '{args.flow}'; flows: {', '.join(sorted(engine.flows))}", file=sys.stderr)
        return 1
    return run_shell(engine, loaded.content, args.flow)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the Telegram bot (polling, or a webhook server with --webhook)."""
    from bot.telegram.runner import run_bot

    return run_bot(settings, webhook=args.webhook)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="twitchcheck", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    run.add_argument("--webhook", action="store_true", help="serve a webhook instead of polling")
    run.set_defaults(func=cmd_run)
    shell = sub.add_parser("shell", help="hold the check in this terminal (no token needed)")
    shell.add_argument("--flow", help="flow id (default: twitching)")
    shell.set_defaults(func=cmd_shell)
    for name, func, text in (
        ("validate", cmd_validate, "validate flows and content; exit 1 on any error"),
        ("check", cmd_check, "validate, then prove every flow safe"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("paths", nargs="*", help="flow files or folders (default: flows/)")
        command.set_defaults(func=func)
    graph = sub.add_parser("graph", help="print a flow diagram")
    graph.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")
    graph.add_argument("--flow", help="flow id (default: the first flow)")
    graph.set_defaults(func=cmd_graph)
    test = sub.add_parser("test", help="run the YAML conversation cases in flows/tests/")
    test.add_argument("paths", nargs="*", help="case files (default: flows/tests/*.yaml)")
    test.set_defaults(func=cmd_test)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        return int(args.func(args, settings))
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except FlowErrors as errors:
        return _report(errors)


if __name__ == "__main__":
    sys.exit(main())
