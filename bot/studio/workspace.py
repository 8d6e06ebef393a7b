"""The files a maintainer is editing: reloaded when they change, with the last good version kept.

A version is *valid* when `validate` accepts it, so it can be drawn, and *good* when `check`
proves it safe as well, so a person could meet it: only a good version is ever tried ("Try it")
or tested. A broken save shows its problems next to the last drawing and the last good engine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.bootstrap import Loaded, load_all
from bot.engine.check import check_flow
from bot.engine.engine import Engine
from bot.yamlfiles.errors import FlowErrors, FlowProblem

Signature = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class Snapshot:
    """What the files held at one moment, and the versions the page shows beside it."""

    version: int
    problems: tuple[FlowProblem, ...] = ()
    valid: Loaded | None = None
    """This version, when `validate` accepts it (the diagram); None when it is broken."""
    drawn: Loaded | None = None
    """The version the diagram shows: this one if valid, else the last valid one."""
    good: Loaded | None = None
    """The last version `check` proved safe: the one "Try it" and the tests use."""
    good_version: int = 0
    engine: Engine | None = field(default=None, compare=False)
    """The Engine over `good`, built once per good version."""
    loaded_at: float = 0.0

    @property
    def errors(self) -> tuple[FlowProblem, ...]:
        return tuple(problem for problem in self.problems if not problem.warning)


class Workspace:
    """Flow paths, the content folder and the case folder, reloaded as one whenever a file in them changes."""

    def __init__(self, flow_paths: list[Path], content_dir: Path, tests_dir: Path) -> None:
        self.flow_paths = flow_paths
        self.content_dir = content_dir
        self.tests_dir = tests_dir
        self.signature: Signature = ()
        self.snapshot = Snapshot(0)

    def roots(self) -> list[Path]:
        """The real folders (and named flow files) the studio may read: the flows, the content and the cases."""
        return [path.resolve() for path in [*self.flow_paths, self.content_dir, self.tests_dir]]

    def inside(self, path: Path) -> bool:
        """True when the real path of `path` (every symlink followed) is one of the roots or in one of them."""
        try:
            real = path.resolve()
        except (OSError, ValueError, RuntimeError):  # a NUL byte, a symlink loop
            return False
        return any(real == root or (root.is_dir() and real.is_relative_to(root)) for root in self.roots())

    def files(self) -> list[Path]:
        """Every file whose saving should redraw the page; a link whose target lies outside is never one."""
        found: list[Path] = []
        for path in [*self.flow_paths, self.content_dir, self.tests_dir]:
            if path.is_dir():
                found += sorted(
                    p for p in path.iterdir() if p.is_file() and not p.name.startswith(".") and self.inside(p)
                )
            elif path.is_file():
                found.append(path)
        return found

    def sign(self) -> Signature:
        """Name, modification time and size of every watched file: cheap to take ten times a second."""
        signature = []
        try:
            files = self.files()
        except OSError:  # out of file descriptors, say: no look this time, so nothing seems to have changed
            return self.signature
        for path in files:
            try:
                stat = path.stat()
            except OSError:  # removed between listing and stat: the next look sees it gone
                continue
            signature.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(signature)

    def poll(self) -> bool:
        """Reload if any watched file changed since the last look; True when it did."""
        signature = self.sign()
        if signature == self.signature:
            return False
        self.signature = signature
        self.reload()
        return True

    def reload(self) -> Snapshot:
        """Load and prove the files as they are now; keep the last drawn and last good versions."""
        last = self.snapshot
        version = last.version + 1
        try:
            valid = load_all(self.flow_paths, self.content_dir, prove=False)
        except FlowErrors as errors:
            self.snapshot = Snapshot(
                version,
                tuple(errors.problems),
                None,
                last.drawn,
                last.good,
                last.good_version,
                last.engine,
                time.time(),
            )
            return self.snapshot
        proved = [problem for flow in valid.flows.values() for problem in check_flow(flow)]
        problems = tuple(sorted([*proved, *valid.warnings], key=lambda p: (p.warning, p.source, p.line)))
        if any(not problem.warning for problem in problems):
            good, good_version, engine = last.good, last.good_version, last.engine
        else:
            good, good_version, engine = valid, version, valid.engine()
        self.snapshot = Snapshot(version, problems, valid, valid, good, good_version, engine, time.time())
        return self.snapshot

    def relative(self, source: str) -> str:
        """A file as the maintainer would type it: relative to the working folder when inside it."""
        path = Path(source)
        if not path.is_absolute():
            return source
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return source

    def watches(self, file: Path) -> bool:
        """True for a file the page may quote (a flow, content or case file); never any other."""
        if not self.inside(file):
            return False
        resolved = file.resolve()
        return any(resolved == path.resolve() for path in self.files())
