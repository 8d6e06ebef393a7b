"""A conversation as small plain data, so any store can save it and any process can resume it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Conversation:
    """Where one person is in one flow; the engine never mutates it, it returns a new one."""

    flow_id: str
    step: str
    answers: Mapping[str, str] = field(default_factory=dict)
    history: tuple[str, ...] = ()
    version: int = 0
    meta: Mapping[str, Any] = field(default_factory=dict)
    flow_version: str = ""
    """The flows and content it started on (bot/flow_versions.py); "" when stored before versions were recorded."""

    def bumped(self, **changes: Any) -> Conversation:
        """Return a copy with `changes` applied and the version increased by one."""
        return replace(self, version=self.version + 1, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form that stores persist."""
        return {
            "flow": self.flow_id,
            "step": self.step,
            "answers": dict(self.answers),
            "history": list(self.history),
            "version": self.version,
            "meta": dict(self.meta),
            "flow_version": self.flow_version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Conversation:
        """Rebuild a conversation saved with `to_dict`."""
        return cls(
            flow_id=str(data["flow"]),
            step=str(data["step"]),
            answers={str(k): str(v) for k, v in data.get("answers", {}).items()},
            history=tuple(str(s) for s in data.get("history", ())),
            version=int(data.get("version", 0)),
            meta=dict(data.get("meta", {})),
            flow_version=str(data.get("flow_version", "")),
        )
