"""`twitchcheck run --watch`: reload when a file under the flows or content folder changes.

Polling, not inotify: a folder of a few YAML files is stat-ed once a second, which costs well under
a millisecond, works the same on every system and in containers with mounted volumes, and needs no
new dependency. A file counts as changed when its modification time, size or inode changes (an
editor that saves by renaming a new file over the old one changes the inode), or when a file appears
or goes away. Editors (and copies, and scripts) write in several steps, so a change is acted on only
once the files are the same across two looks at least `STILL_SECONDS` apart: the reload sees the
finished file two to three seconds after the save. A file that still parses when cut short is then
refused by the completeness checks `validate` makes (bot/content/completeness.py), and the last good
version stays.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

POLL_SECONDS = 1.0
"""How often the folders are stat-ed."""
STILL_SECONDS = 2.0
"""How long the files must stay the same, between two looks, before a change is acted on."""

Snapshot = dict[str, tuple[int, int, int]]
"""Every file's path mapped to its (modification time in ns, size, inode)."""


def snapshot(folders: Iterable[Path]) -> Snapshot:
    """The files under `folders` (recursively), skipping hidden files and editors' temporary files."""
    found: Snapshot = {}
    pending = [str(folder) for folder in folders]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:  # a folder that is gone or unreadable has no files; the reload reports it
            continue
        for entry in entries:
            if entry.name.startswith(".") or entry.name.endswith(("~", ".swp", ".tmp")):
                continue
            try:
                if entry.is_dir():
                    pending.append(entry.path)
                else:
                    stat = entry.stat()
                    found[entry.path] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            except OSError:  # removed between listing and stat: gone
                continue
    return found


class FolderWatcher:
    """Calls `on_change` once the files under `folders` have changed and then held still for `still` seconds."""

    def __init__(
        self,
        folders: Iterable[Path],
        on_change: Callable[[], object],
        *,
        scan: Callable[[Iterable[Path]], Snapshot] = snapshot,
        seen: Snapshot | None = None,
        clock: Callable[[], float] = time.monotonic,
        still: float = STILL_SECONDS,
    ) -> None:
        """`seen` is how the files were when the running flows were read (by default, now)."""
        self.folders = list(folders)
        self.on_change = on_change
        self.scan = scan
        self.clock = clock
        self.still = still
        self.seen = seen if seen is not None else scan(self.folders)
        self._settling: Snapshot | None = None
        self._since = 0.0

    def poll(self) -> bool:
        """Look once; True when this look called `on_change`."""
        now = self.scan(self.folders)
        if now == self.seen:
            self._settling = None
            return False
        if now != self._settling:  # changed since the last look: still being written, start waiting again
            self._settling, self._since = now, self.clock()
            return False
        if self.clock() - self._since < self.still:
            return False
        self.seen, self._settling = now, None
        self.on_change()
        return True

    async def run(
        self, interval: float = POLL_SECONDS, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> None:
        """Poll every `interval` seconds until cancelled."""
        while True:
            await sleep(interval)
            self.poll()
