"""Reading `content/<language>/language.yaml` into a Language: text in, object out, every problem at once.

The file is plain data (frames.py says what each part means). Its mistakes are reported like a
flow's: `content/en/language.yaml:42: frame uses unknown word class 'breath'; did you mean 'breathe'?`
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from bot.engine.frames import DEFAULT_GAP, EMPTY_LANGUAGE, Frame, Language, Together, expand
from bot.engine.suggest import did_you_mean
from bot.yamlfiles.errors import FlowProblem, ShapeError, UnknownTargetError
from bot.yamlfiles.yaml_source import LineDict, LineList

KEYS = ("gap", "irregular", "words", "frames", "cues", "idioms", "explained", "safety_words", "asked_of_the_writer")
FRAME_KINDS = ("fire", "ask")
LANGUAGE_CUES = (
    "negation",
    "not_negation",
    "distant_past",
    "recent_past",
    "now",
    "maybe",
    "boundary",
    "elsewhere",
    "passed",
    "topic",
    "before_today",
    "irrealis",
    "setting",
    "tone",
)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def read_language(
    raw: Any, source: str, concepts: Collection[str]
) -> tuple[Language, Mapping[str, tuple[str, ...]], list[FlowProblem]]:
    """The language, the cues it adds to the flow's, and its problems (empty when it is sound)."""
    problems: list[FlowProblem] = []
    if raw is None:
        return EMPTY_LANGUAGE, {}, problems
    if not isinstance(raw, LineDict):
        problems.append(ShapeError(source, 1, "the language file must be a mapping", "start with `words:`"))
        return EMPTY_LANGUAGE, {}, problems

    def problem(kind: type[FlowProblem], line: int, what: str, fix: str) -> None:
        problems.append(kind(source, line, what, fix))

    for key in raw:
        if key not in KEYS:
            problem(ShapeError, raw.key_lines[key], f"unknown key '{key}'", did_you_mean(key, KEYS) or f"use {KEYS}")
    gap = raw.get("gap", DEFAULT_GAP)
    if not isinstance(gap, int) or isinstance(gap, bool) or not 0 <= gap <= 8:
        problem(ShapeError, raw.key_lines.get("gap", raw.line), "`gap` must be a whole number from 0 to 8", "use 3")
        gap = DEFAULT_GAP

    irregular: dict[str, list[str]] = {}
    for verb, forms in _mapping(raw, "irregular", problem).items():
        if not _strings(forms):
            problem(ShapeError, raw["irregular"].key_lines[verb], f"irregular forms of '{verb}' must be a list", "[…]")
            continue
        irregular[str(verb)] = forms

    classes: dict[str, tuple[str, ...]] = {}
    listed = _mapping(raw, "words", problem)
    for name, entries in listed.items():
        if not _strings(entries) or not entries:
            problem(ShapeError, listed.key_lines[name], f"word class '{name}' must be a list of words", "[…]")
            continue
        _check_choices(entries, listed.key_lines[name], problem)
        classes[str(name)] = expand(entries, irregular)

    frames: list[Frame] = []
    together: dict[str, Together] = {}
    for concept, kinds in _mapping(raw, "frames", problem).items():
        where = raw["frames"].key_lines[concept]
        if concept not in concepts:
            # A flow uses the frames of the concepts it declares; a near miss is a typo.
            hint = did_you_mean(str(concept), concepts)
            if hint:
                problem(UnknownTargetError, where, f"frames for unknown emergency concept '{concept}'", hint)
            continue
        if not isinstance(kinds, LineDict):
            problem(ShapeError, where, f"frames of '{concept}' must be a mapping", "write `fire:` and `ask:` lists")
            continue
        for kind, sequences in kinds.items():
            if kind == "together":
                parts = _together(sequences, kinds.key_lines[kind], classes, problem)
                if parts:
                    together[str(concept)] = Together(parts, kinds.key_lines[kind])
                continue
            if kind not in FRAME_KINDS:
                problem(ShapeError, kinds.key_lines[kind], f"unknown frame kind '{kind}'", "use fire, ask or together")
                continue
            if not isinstance(sequences, LineList):
                problem(ShapeError, kinds.key_lines[kind], f"`{kind}` must be a list of frames", "- [class, class]")
                continue
            for sequence, line in zip(sequences, sequences.item_lines, strict=True):
                if not _strings(sequence) or not sequence:
                    problem(ShapeError, line, "a frame must be a list of word classes", "write [unable, breathe]")
                    continue
                unknown = [slot for slot in sequence if slot.lstrip("+") not in classes]
                for slot in unknown:
                    hint = did_you_mean(slot.lstrip("+"), classes) or "define it under `words:`"
                    problem(UnknownTargetError, line, f"frame uses unknown word class '{slot}'", hint)
                if not unknown:
                    frames.append(Frame(str(concept), tuple(sequence), kind == "ask", line))

    cues: dict[str, tuple[str, ...]] = {}
    for kind, phrases in _mapping(raw, "cues", problem).items():
        where = raw["cues"].key_lines[kind]
        if kind not in LANGUAGE_CUES:
            problem(ShapeError, where, f"unknown cue class '{kind}'", did_you_mean(str(kind), LANGUAGE_CUES) or "")
        elif not _strings(phrases):
            problem(ShapeError, where, f"cues '{kind}' must be a list of phrases", "[…]")
        else:
            _check_choices(phrases, where, problem)
            cues[str(kind)] = expand(phrases, irregular)

    explained: dict[str, tuple[str, ...]] = {}
    for concept, causes in _mapping(raw, "explained", problem).items():
        where = raw["explained"].key_lines[concept]
        if concept not in concepts:
            hint = did_you_mean(str(concept), concepts)
            if hint:
                problem(UnknownTargetError, where, f"causes for unknown emergency concept '{concept}'", hint)
            continue
        if not _strings(causes):
            problem(ShapeError, where, f"the causes of '{concept}' must be a list of phrases", "[…]")
            continue
        _check_choices(causes, where, problem)
        explained[str(concept)] = expand(causes, irregular)

    lists: dict[str, tuple[str, ...]] = {}
    for key in ("safety_words", "idioms"):
        listed_phrases = raw.get(key, [])
        if not _strings(listed_phrases):
            problem(ShapeError, raw.key_lines.get(key, raw.line), f"`{key}` must be a list of phrases", "[…]")
            listed_phrases = []
        _check_choices(listed_phrases, raw.key_lines.get(key, raw.line), problem)
        lists[key] = expand(listed_phrases, irregular)
    asked = _class_names(raw, "asked_of_the_writer", classes, problem)
    language = Language(
        classes,
        tuple(frames),
        lists["safety_words"],
        lists["idioms"],
        explained,
        together,
        gap,
        source,
        asked_of_the_writer=asked,
    )
    return language, cues, problems


def _class_names(raw: LineDict, key: str, classes: Collection[str], problem: Any) -> frozenset[str]:
    """A list of word classes (`asked_of_the_writer`); an unknown one is a typo."""
    listed = raw.get(key, [])
    line = raw.key_lines.get(key, raw.line)
    if not _strings(listed):
        problem(ShapeError, line, f"`{key}` must be a list of word classes", "write [choke]")
        return frozenset()
    for name in listed:
        if name not in classes:
            hint = did_you_mean(name, classes) or "define it under `words:`"
            problem(UnknownTargetError, line, f"`{key}` names unknown word class '{name}'", hint)
    return frozenset(name for name in listed if name in classes)


def _together(value: Any, line: int, classes: Collection[str], problem: Any) -> tuple[frozenset[str], ...]:
    """`together:` is a list of two or more parts of the body, each a list of word classes."""
    if not isinstance(value, LineList) or len(value) < 2 or not all(_strings(part) and part for part in value):
        fix = "write a list of parts, each a list of word classes: [[face_part], [speech], [limb]]"
        problem(ShapeError, line, "`together` must list two or more parts of the body", fix)
        return ()
    sound = True
    for part, at in zip(value, value.item_lines, strict=True):
        for name in part:
            if name not in classes:
                sound = False
                hint = did_you_mean(name, classes) or "define it under `words:`"
                problem(UnknownTargetError, at, f"`together` uses unknown word class '{name}'", hint)
    return tuple(frozenset(part) for part in value) if sound else ()


def _check_choices(entries: list[str], line: int, problem: Any) -> None:
    """Every `(` closes, with no group inside another: "(can't|cannot) stand (him|her)"."""
    lines = entries.item_lines if isinstance(entries, LineList) else [line] * len(entries)
    for entry, at in zip(entries, lines, strict=True):
        if "(" in entry or ")" in entry:
            left = _GROUP.sub("", entry)
            if "(" in left or ")" in left:
                problem(
                    ShapeError,
                    at,
                    f"'{entry}' has a bracket that does not close",
                    "write choices as (a|b), one level deep",
                )


_GROUP = re.compile(r"\([^()]*\)")


def _mapping(raw: LineDict, key: str, problem: Any) -> LineDict:
    value = raw.get(key)
    if value is None:
        return LineDict()
    if not isinstance(value, LineDict):
        problem(ShapeError, raw.key_lines[key], f"`{key}` must be a mapping", f"write `{key}:` with names under it")
        return LineDict()
    return value
