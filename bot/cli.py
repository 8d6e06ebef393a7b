"""`twitchcheck run | shell | validate | check | graph | test | docs | gate | studio` (the README documents them).

Run from a checkout, the commands read its `./flows` and `./content/en` (unless TWITCHCHECK_FLOWS_DIR or
TWITCHCHECK_CONTENT_DIR say otherwise), not the copy installed with the package, and print paths
relative to the current folder.

Exit statuses, for scripts and service managers (docs/deploy.md's systemd unit relies on them):
0 done; 1 a flow, content or case file is wrong (or a test failed); 2 a setting is wrong;
70 an unexpected error; 75 Telegram or the store stayed unreachable at start-up, try again later.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bot.config import ConfigError, Settings, TryAgainLater
from bot.engine.errors import FlowErrors, ShapeError
from bot.logs import failure_line

EXIT_FLOW_ERRORS = 1
EXIT_CONFIG = 2
EXIT_SOFTWARE = 70
EXIT_TRY_AGAIN_LATER = 75
"""EX_TEMPFAIL from sysexits.h: "a temporary failure; the user is invited to retry"."""


def _paths(args: argparse.Namespace, settings: Settings) -> list[Path]:
    return [_relative(Path(p)) for p in args.paths] if getattr(args, "paths", None) else [settings.flows_dir]


def _relative(path: Path) -> Path:
    """`path` relative to the current folder when it is inside it, so messages read `flows/x.yaml:12`."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _here(settings: Settings) -> Settings:
    """The current folder's `flows/` and `content/en/` over the installed ones, unless the environment names others."""
    flows, content = settings.flows_dir, settings.content_dir
    if not os.environ.get("TWITCHCHECK_FLOWS_DIR", "").strip() and Path("flows").is_dir():
        flows = Path("flows")
    if not os.environ.get("TWITCHCHECK_CONTENT_DIR", "").strip() and Path("content", "en").is_dir():
        content = Path("content", "en")
    return replace(settings, flows_dir=_relative(flows), content_dir=_relative(content))


def _folders(paths: list[Path]) -> str:
    return ", ".join(f"{path}/" if path.is_dir() else str(path) for path in paths)


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
    names = ", ".join(sorted(loaded.flows))
    print(f"OK: {len(loaded.flows)} flow(s) valid in {_folders(_paths(args, settings))}: {names}")
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Validation plus the static safety proof."""
    from bot.bootstrap import load_all

    loaded = load_all(_paths(args, settings), settings.content_dir, prove=True)
    for warning in loaded.warnings:
        print(f"warning: {warning}")
    print(f"checked {_folders(_paths(args, settings))} with {settings.content_dir}/")
    for flow in loaded.flows.values():
        print(
            f"OK: {flow.id}: {len(flow.steps)} steps reachable, every path ends in an outcome, "
            "no red flag can end in 🟢, emergency signs give 🚨, no path below 🔴 skips a red flag"
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


def cmd_docs(args: argparse.Namespace, settings: Settings) -> int:
    """Write the docs made from the flows (diagrams, docs/medical.md's routing table); --check: exit 1 if stale."""
    from bot.bootstrap import load_all
    from bot.flow_docs import generated, stale

    loaded = load_all([settings.flows_dir], settings.content_dir, prove=False)
    docs = Path(args.docs) if args.docs else settings.flows_dir.parent / "docs"
    files = generated(loaded.flows, _relative(docs))
    out_of_date = stale(files)
    if args.check:
        for path in out_of_date:
            print(f"error: {path} is out of date with {settings.flows_dir}/; run `twitchcheck docs`", file=sys.stderr)
        if not out_of_date:
            print(f"OK: {len(files)} generated file(s) in {_relative(docs)}/ match {settings.flows_dir}/")
        return 1 if out_of_date else 0
    for path in out_of_date:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[path], encoding="utf-8")
        print(f"wrote {path}")
    if not out_of_date:
        print(f"OK: {len(files)} generated file(s) in {_relative(docs)}/ already up to date")
    return 0


def cmd_test(args: argparse.Namespace, settings: Settings) -> int:
    """Run the YAML conversation cases in flows/tests/."""
    from bot.authoring.cases import case_files
    from bot.authoring.suite import run_suite
    from bot.bootstrap import load_all

    loaded = load_all([settings.flows_dir], settings.content_dir, prove=False)
    files = _test_files(args.paths) if args.paths else case_files(settings.flows_dir / "tests")
    suite = run_suite(loaded.engine(), files, coverage=args.coverage)
    for ran in suite.files:
        if ran.corpus is not None:
            print(f"{'PASS' if ran.corpus.passed else 'FAIL'} {ran.path.name}: language corpus")
            print("\n".join(ran.corpus.lines()))
        for result in ran.results:
            print(f"PASS {ran.path.name}: {result.name}" if result.passed else f"FAIL {ran.path.name}: {result.name}")
            if not result.passed:
                print(result.transcript)
    for coverage in suite.coverage:
        print("\n".join(coverage.lines()))
    passed, failed = suite.passed, suite.failed
    print(f"{passed} passed, {failed} failed")
    if not passed and not failed:
        print("error: no test cases found; add cases to a file in flows/tests/", file=sys.stderr)
    return 1 if failed or not passed else 0


GATE: tuple[tuple[str, Callable[[argparse.Namespace, Settings], int], dict[str, object]], ...] = (
    ("validate", cmd_validate, {"paths": []}),
    ("check", cmd_check, {"paths": []}),
    ("test", cmd_test, {"paths": [], "coverage": False}),
    ("docs --check", cmd_docs, {"check": True, "docs": None}),
)
"""The flow-side steps of the gate CI runs, in order; `pytest` comes after them (docs/flows.md#workflow)."""


def cmd_gate(args: argparse.Namespace, settings: Settings) -> int:
    """Run the flow-side gate (validate, check, test, docs --check) and stop at the first failure."""
    for name, command, options in GATE:
        print(f"== twitchcheck {name}", flush=True)
        try:
            status = command(argparse.Namespace(**options), settings)
        except FlowErrors as errors:
            status = _report(errors)
        if status:
            print(f"gate: `twitchcheck {name}` failed; fix it, then run `twitchcheck gate` again", file=sys.stderr)
            return status
    print("gate: OK; now run the Python tests: `python -m pytest`")
    return 0


def _test_files(paths: list[str]) -> list[Path]:
    """The files named, with each folder replaced by the case files in it."""
    from bot.authoring.cases import case_files

    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = case_files(path)
            if not found:
                raise FlowErrors([ShapeError(name, 1, "this folder holds no case files", "name a .yaml case file")])
            files += found
        else:
            files.append(path)
    return files


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


def cmd_studio(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the flow studio: see, try and test the flows while editing them."""
    from bot.studio.server import run_studio
    from bot.studio.workspace import Workspace

    paths = _paths(args, settings)
    folder = paths[0] if paths[0].is_dir() else paths[0].parent
    workspace = Workspace(paths, settings.content_dir, folder / "tests")
    return run_studio(workspace, args.host, args.port, allow_remote=args.allow_remote, editor=args.editor)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the Telegram bot (polling, or a webhook server with --webhook)."""
    from bot.telegram.runner import run_bot

    return run_bot(settings, webhook=args.webhook, watch=args.watch)


def cmd_train_reader(args: argparse.Namespace, settings: Settings) -> int:
    """Train the second reader on the corpus's sentences and write its model file."""
    from bot.engine.second_reader import FILE_NAME
    from bot.engine.training import sentences_from, train

    tests = settings.flows_dir / "tests"
    paths = [Path(p) for p in args.paths] or [tests / "language.yaml", *sorted((tests / "fresh").glob("*.yaml"))]
    texts, labels = sentences_from(paths)
    try:
        model = train(texts, labels)
    except ImportError as missing:
        print(f"error: {missing}", file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else settings.content_dir / FILE_NAME
    out.write_text(json.dumps(model.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{out}: {len(model.grams)} n-grams from {len(texts)} sentences ({sum(labels)} emergency or unclear)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="twitchcheck", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    run.add_argument("--webhook", action="store_true", help="serve a webhook instead of polling")
    run.add_argument(
        "--watch", action="store_true", help="reload the flows when a file under the flows or content folder changes"
    )
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
    test.add_argument(
        "--coverage",
        action="store_true",
        help="also list the steps, choices, routing rules, outcomes and excerpts no case reaches",
    )
    test.set_defaults(func=cmd_test)
    docs = sub.add_parser("docs", help="write the docs made from the flows: docs/<flow>.mmd, docs/medical.md's routing")
    docs.add_argument("--check", action="store_true", help="write nothing; exit 1 if a generated file is out of date")
    docs.add_argument("--docs", help="the docs folder (default: docs/ next to the flows folder)")
    docs.set_defaults(func=cmd_docs)
    gate = sub.add_parser("gate", help="validate, check, test and docs --check, stopping at the first failure")
    gate.set_defaults(func=cmd_gate)
    train = sub.add_parser(
        "train-reader", help="train the second reader of emergency language from the corpus (needs scikit-learn)"
    )
    train.add_argument("paths", nargs="*", help="corpus files (default: flows/tests/language.yaml and fresh/)")
    train.add_argument("--out", help="model file (default: content/en/second_reader.json)")
    train.set_defaults(func=cmd_train_reader)
    studio = sub.add_parser("studio", help="a local web page to see, try and test the flows while editing them")
    studio.add_argument("paths", nargs="*", help="flow files or folders (default: flows/)")
    studio.add_argument("--port", type=int, default=8765, help="port (default: 8765; 0 picks a free one)")
    studio.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1, this machine only)")
    studio.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host other machines can reach (prints a warning; the studio has no password)",
    )
    studio.add_argument(
        "--editor",
        default=None,
        metavar="URL",
        help="how a file:line link opens your editor, with {path} (absolute), {file} (relative) and {line} "
        "(default: vscode://file/{path}:{line})",
    )
    studio.set_defaults(func=cmd_studio)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings: Settings | None = None
    try:
        settings = _here(Settings.from_env())
        return int(args.func(args, settings))
    except BrokenPipeError:
        # `twitchcheck test | head`: the reader has what it wanted; leave quietly, not with a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ConfigError as error:
        return _refuse(str(error), EXIT_CONFIG, settings, args)
    except TryAgainLater as error:
        return _refuse(str(error), EXIT_TRY_AGAIN_LATER, settings, args)
    except FlowErrors as errors:
        return _report(errors)
    except Exception as error:
        if args.command != "run":
            raise
        # The bot's own log handler (redacting) keeps the traceback for DEBUG runs; stderr gets one line.
        logging.getLogger("twitchcheck").debug("unexpected error", exc_info=True)
        return _refuse(f"unexpected {type(error).__name__}: {error}", EXIT_SOFTWARE, settings, args)


def _refuse(message: str, status: int, settings: Settings | None, args: argparse.Namespace) -> int:
    """Print the one line a refusal gets (secrets removed, JSON for a `run` that logs JSON); return `status`."""
    json_logs = settings is not None and settings.log_format == "json" and args.command == "run"
    secrets = settings.secrets if settings is not None else ()
    print(failure_line(message, "json" if json_logs else "text", secrets, status), file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
