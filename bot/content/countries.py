"""Countries (content/<language>/countries.yaml): each one's emergency number and its words for services.

`parse_countries(data, source, texts) -> (Countries, problems)` does no I/O and never raises. Numbers
are checked like emergency.yaml's (bot/content/emergency_numbers.py: phonenumbers' short-number data),
each for its own country. Words are phrases of the texts, which are written with the UK's services
("your GP surgery", "NHS 111"), each with per-country variants and a `default`; `Countries.localise`
replaces them in one pass, longest first, for anyone not in GB. Two checks keep them honest: every
phrase must appear in some text (a stale phrase is an error), and no text may still show a `uk_only`
word to someone outside the UK after the replacements (the error names the text's file:line, the
country and the word, so a new text saying "GP" is caught when it is written, not by a reader in Lagos).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from phonenumbers import shortnumberinfo

from bot.content.emergency_numbers import number_problems
from bot.yamlfiles.errors import FlowProblem, MissingContentError, ShapeError
from bot.yamlfiles.yaml_source import LineDict, LineList

HOME = "GB"
"""The country the texts are written for: its readers see them as written."""
DEFAULT = "default"
CODE = re.compile(r"[A-Z]{2}")
FIELDS = ("name", "short", "button", "emergency")


@dataclass(frozen=True, slots=True)
class Country:
    """One listed country: how to name it, its picker button, and its emergency number."""

    code: str
    name: str
    short: str
    button: str
    emergency: str


@dataclass(frozen=True, slots=True)
class Countries:
    """The listed countries (in file order, which is the picker's), the `unknown` list and the words."""

    listed: Mapping[str, Country] = field(default_factory=dict)
    unknown: tuple[str, ...] = ()
    uk_only: tuple[str, ...] = ()
    words: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def localise(self, text: str, country: str | None) -> str:
        """`text` in the words of `country` (None: not known, so `default`); GB's are the texts as written."""
        pattern = words_pattern(tuple(self.words))
        if country == HOME or pattern is None:
            return text
        return pattern.sub(lambda match: self.variant(match.group(0), country), text)

    def variant(self, phrase: str, country: str | None) -> str:
        """What `phrase` becomes for `country`."""
        variants = self.words[phrase]
        return variants.get(country or DEFAULT) or variants[DEFAULT]

    def knows(self, code: str) -> bool:
        """Whether `code` is a country a person may set: listed, or a region phonenumbers knows."""
        return code in self.listed or code in shortnumberinfo.SUPPORTED_SHORT_REGIONS


@functools.lru_cache(maxsize=8)
def words_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """One alternation of the phrases, longest first, whole words only."""
    if not phrases:
        return None
    ordered = sorted(phrases, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in ordered) + r")(?!\w)")


def parse_countries(
    data: Any, source: str, texts: Mapping[str, tuple[str, str, int]] | None
) -> tuple[Countries, list[FlowProblem]]:
    """countries.yaml as read (LineDicts), checked against `texts` (key → (text, file, line); None: the texts
    could not be read, so only the file itself is checked); never raises."""
    if not isinstance(data, LineDict):
        what = "countries.yaml must be a mapping with 'countries', 'unknown', 'uk_only' and 'words'"
        return Countries(), [ShapeError(source, getattr(data, "line", 1) or 1, what, "start with countries:")]
    problems: list[FlowProblem] = []
    listed = _listed(data, source, problems)
    unknown = _codes(data, "unknown", source, problems, listed)
    uk_only = _strings(data, "uk_only", source, problems)
    words = _words(data, source, problems, listed)
    countries = Countries(listed, tuple(unknown), tuple(uk_only), words)
    if texts is None:
        return countries, problems
    phrase_lines = data["words"].key_lines if isinstance(data.get("words"), LineDict) else {}
    every = "\n".join(text for text, _, _ in texts.values())
    for phrase in words:
        if not re.search(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", every):
            what = f"phrase '{phrase}' appears in no text"
            problems.append(MissingContentError(source, phrase_lines.get(phrase, 1), what, "fix it or remove it"))
    for word in uk_only:
        found = re.compile(r"(?<!\w)" + re.escape(word) + r"(?!\w)")
        for key, (text, file, line) in texts.items():
            for country in (*[c for c in listed if c != HOME], None):
                if found.search(countries.localise(text, country)):
                    who = f"readers in {country}" if country else "readers whose country isn't known"
                    what = f"text '{key}' would show '{word}' to {who}"
                    fix = f"add the phrase around it to 'words' in {source}"
                    problems.append(MissingContentError(file, line, what, fix))
                    break
    return countries, problems


def _listed(data: LineDict, source: str, problems: list[FlowProblem]) -> dict[str, Country]:
    raw = data.get("countries")
    if not isinstance(raw, LineDict):
        line = data.key_lines.get("countries", 1)
        problems.append(ShapeError(source, line, "'countries' must map country codes to their details", "see GB"))
        return {}
    listed: dict[str, Country] = {}
    for code, entry in raw.items():
        line = raw.key_lines[code]
        if not CODE.fullmatch(code) or code not in shortnumberinfo.SUPPORTED_SHORT_REGIONS:
            what = f"'{code}' is not a country code phonenumbers knows"
            problems.append(ShapeError(source, line, what, "use the two capital letters of ISO 3166, like GB"))
            continue
        missing = [name for name in FIELDS if not isinstance(entry, dict) or name not in entry]
        if missing:
            problems.append(ShapeError(source, line, f"country {code} lacks {', '.join(missing)}", "add them"))
            continue
        wrong = number_problems(entry["emergency"], f"for {code}", [code], source, line)
        names = [name for name in FIELDS[:3] if not isinstance(entry[name], str) or not entry[name].strip()]
        if names:
            wrong.append(ShapeError(source, line, f"country {code}: {', '.join(names)} must be text", "quote it"))
        problems += wrong
        if not wrong:
            listed[code] = Country(code, entry["name"], entry["short"], entry["button"], entry["emergency"])
    return listed


def _codes(
    data: LineDict, key: str, source: str, problems: list[FlowProblem], listed: Mapping[str, Country]
) -> list[str]:
    raw = data.get(key)
    line = data.key_lines.get(key, 1)
    if not isinstance(raw, LineList):
        problems.append(ShapeError(source, line, f"'{key}' must be a list of country codes", "like [GB, US]"))
        return []
    codes = []
    for code, item_line in zip(raw, raw.item_lines, strict=True):
        if code not in listed:
            problems.append(ShapeError(source, item_line, f"'{code}' in '{key}' is not a listed country", "list it"))
        else:
            codes.append(code)
    return codes


def _strings(data: LineDict, key: str, source: str, problems: list[FlowProblem]) -> list[str]:
    raw = data.get(key)
    if not isinstance(raw, LineList) or not all(isinstance(item, str) and item for item in raw):
        problems.append(
            ShapeError(source, data.key_lines.get(key, 1), f"'{key}' must be a list of words", "quote each")
        )
        return []
    return list(raw)


def _words(
    data: LineDict, source: str, problems: list[FlowProblem], listed: Mapping[str, Country]
) -> dict[str, dict[str, str]]:
    raw = data.get("words")
    if not isinstance(raw, LineDict):
        line = data.key_lines.get("words", 1)
        problems.append(ShapeError(source, line, "'words' must map phrases to their variants", "see 'NHS 111'"))
        return {}
    words: dict[str, dict[str, str]] = {}
    for phrase, variants in raw.items():
        line = raw.key_lines[phrase]
        if not isinstance(variants, LineDict) or not isinstance(variants.get(DEFAULT), str):
            what = f"phrase '{phrase}' has no default"
            problems.append(ShapeError(source, line, what, "add default: with the words for any other country"))
            continue
        kept = {}
        for code, text in variants.items():
            at = variants.key_lines[code]
            if code != DEFAULT and code not in listed:
                what = f"phrase '{phrase}' has a variant for '{code}', which is not a listed country"
                problems.append(ShapeError(source, at, what, "list the country or remove the variant"))
            elif code == HOME:
                problems.append(ShapeError(source, at, f"{HOME} reads the texts as written", "remove the variant"))
            elif not isinstance(text, str) or not text.strip():
                problems.append(ShapeError(source, at, f"variant {code} of '{phrase}' is empty", "quote the words"))
            else:
                kept[code] = text
        if DEFAULT in kept:
            words[phrase] = kept
    return words
