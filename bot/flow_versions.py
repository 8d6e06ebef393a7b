"""Every flow version a conversation may still be on: the current one, and older ones until unused.

A version is the flows and content as loaded, named by a hash of what they say (`fingerprint`), so
saving a file unchanged, or only moving its lines, makes no new version, and a restart over the
same files gives the same name. A conversation records the version it started on
(`Conversation.flow_version`), and that version's engine interprets it until it ends, so a reload
never changes the questions of a check in progress; new checks start on the current version.

How an old version is dropped, once a reload has made another one current:
- at once, if no conversation was started on it or read with it in this process (nothing can need
  it: an edit saved twice in quick succession under `--watch`);
- `keep_for` seconds after a conversation last used it here, `keep_for` being the conversation TTL:
  stored conversations expire that long after their last answer, so none on it is left;
- when more than `max_old` old versions are kept, the one used longest ago goes first, so memory
  stays bounded (about 1 MiB per version of the shipped flow) however often the flows change.
The bookkeeping is one timestamp per version, updated when a conversation is read, so it costs
nothing per stored conversation. Versions live in memory only. A conversation whose version is not
here (dropped, from before a restart, or stored before versions were recorded) is read on the
current flow if it still fits it (`Engine.fits`), and otherwise starts again with a one-line explanation
(`bot/session.py`). With several replicas each keeps its own versions; a person whose
version one replica has dropped is read the same way there.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from bot.content.library import Content, Excerpt, Source
from bot.engine.engine import Engine
from bot.engine.model import Flow

I = TypeVar("I")  # noqa: E741 - the front end's per-version index (Telegram's ButtonTags)

MAX_OLD_VERSIONS = 8
"""Old versions kept at most, besides the current one: a version of the shipped flow costs about
1 MiB, and eight cover a day of edits with checks running through each."""

DEFAULT_KEEP_FOR = 7 * 86400.0
"""The default conversation TTL (`TWITCHCHECK_TTL_DAYS`), in seconds."""

_NOT_MEANING = frozenset({"line", "lines", "excerpt_lines"})
"""Fields that say where something was written, not what it says: moving a line makes no new version."""


def fingerprint(flows: Mapping[str, Flow], content: Content) -> str:
    """A short name for what these flows and content say: the same files give the same name in any process."""
    data = {"flows": _plain(dict(flows)), "content": _plain(content)}
    encoded = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:16]


def _plain(value: Any) -> Any:
    """`value` as JSON-ready data, in an order that does not depend on the process (sets are sorted)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in _NOT_MEANING and not (isinstance(value, Flow) and f.name == "source")
        }
        return {"@": type(value).__name__, **fields}
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(item) for item in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, float):
        return repr(value)  # inf and nan are not JSON
    if value is None or isinstance(value, (str, int, bool)):
        return value
    raise TypeError(f"cannot fingerprint a {type(value).__name__}")


@dataclasses.dataclass(frozen=True, slots=True, eq=False)
class FlowVersion(Generic[I]):
    """One loaded set of flows and content, with its engine and the front end's index, built once."""

    id: str
    engine: Engine
    content: Content | None
    index: I


class FlowVersions(Generic[I]):
    """The current flow version and the old ones a conversation may still need (see the module docstring)."""

    def __init__(
        self,
        flows: Mapping[str, Flow],
        content: Content | None,
        *,
        index: Callable[[Engine], I],
        keep_for: float = DEFAULT_KEEP_FOR,
        max_old: int = MAX_OLD_VERSIONS,
        clock: Callable[[], float] = time.monotonic,
        engine: Engine | None = None,
        name: str | None = None,
    ) -> None:
        self._index = index
        self.keep_for = keep_for
        self.max_old = max_old
        self._clock = clock
        self._versions: dict[str, FlowVersion[I]] = {}
        self._last_used: dict[str, float | None] = {}
        self.current = self._make(flows, content, engine, name)

    def add(self, flows: Mapping[str, Flow], content: Content | None) -> FlowVersion[I]:
        """Make these flows and content current (reusing a kept version that says the same); drop unused ones."""
        self.current = self._make(flows, content)
        self.sweep()
        return self.current

    def get(self, version_id: str) -> FlowVersion[I] | None:
        """The kept version named `version_id`, noted as used now; None if it is not kept."""
        version = self._versions.get(version_id)
        if version is not None:
            self._last_used[version_id] = self._clock()
        return version

    def use_current(self) -> FlowVersion[I]:
        """The current version, noted as used now (a check starts on it)."""
        self._last_used[self.current.id] = self._clock()
        return self.current

    def sweep(self) -> list[str]:
        """Drop the old versions no conversation can still need; return their ids."""
        now = self._clock()
        old = [vid for vid in self._versions if vid != self.current.id]
        unused = [vid for vid in old if (last := self._last_used[vid]) is None or now - last >= self.keep_for]
        recent = sorted((vid for vid in old if vid not in unused), key=lambda vid: self._last_used[vid] or 0.0)
        dropped = unused + recent[: max(0, len(recent) - self.max_old)]
        for vid in dropped:
            del self._versions[vid], self._last_used[vid]
        return dropped

    @property
    def ids(self) -> list[str]:
        """The kept versions' ids, the current one last."""
        return [vid for vid in self._versions if vid != self.current.id] + [self.current.id]

    def content(self) -> Content | None:
        """The current content, with any excerpt, source or text only an old version still has: an old
        version's recommendation may cite an excerpt the new content no longer has."""
        current = self.current.content
        olds = [v.content for v in self._versions.values() if v is not self.current and v.content is not None]
        if current is None or not olds:
            return current
        texts: dict[str, str] = {}
        excerpts: dict[str, Excerpt] = {}
        sources: dict[str, Source] = {}
        for content in (*olds, current):
            texts.update(content.texts)
            excerpts.update(content.excerpts)
            sources.update(content.sources)
        return dataclasses.replace(current, texts=texts, excerpts=excerpts, sources=sources)

    def _make(
        self, flows: Mapping[str, Flow], content: Content | None, engine: Engine | None = None, name: str | None = None
    ) -> FlowVersion[I]:
        """The version these flows and content make, named `name` if given (a session over one engine needs no
        fingerprint), else by their fingerprint."""
        version_id = name if name is not None else fingerprint(flows, _NO_CONTENT if content is None else content)
        version = self._versions.get(version_id)
        if version is None:
            built = engine if engine is not None else Engine(flows)
            version = FlowVersion(version_id, built, content, self._index(built))
            self._versions[version_id] = version
            self._last_used[version_id] = None
        return version


_NO_CONTENT = Content({}, {}, {})
