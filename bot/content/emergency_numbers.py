"""Emergency numbers (content/<language>/emergency.yaml), validated as content: a wrong one never goes live.

A number is shown on the 🚨 advice, so it is checked like a flow: each must be a quoted string of
digits (`+`, `#` and `*` are let through to the next check, which accepts them only where a real
number uses them), and each is looked up in a maintained source, `phonenumbers`' short-number data
(Google's libphonenumber), for the country it is shown in. The country comes from the language
tag's region ("en-GB" → GB); a tag without one names no country and is refused, because one
English-speaking "en" has no single number. `always` is shown to everyone, next to the local
number, so it must reach emergency services in every country the file lists. Every problem is
`file:line: what; fix`, so `validate` points at the typo and a reload keeps the last good content.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from phonenumbers import shortnumberinfo

from bot.yamlfiles.errors import FlowProblem, ShapeError
from bot.yamlfiles.yaml_source import LineDict

DIALLED = re.compile(r"[0-9+#*]+")
"""What a person can key in; whether `+`, `#` or `*` belongs in a given number is phonenumbers' call."""
_REGION = re.compile(r"[A-Za-z]{2}")
SOURCE = "phonenumbers' short-number data"


@dataclass(frozen=True, slots=True)
class EmergencyNumbers:
    """The number everyone is shown, and the local one by language tag."""

    always: str = "112"
    by_language: Mapping[str, str] = field(default_factory=dict)


def region_of(tag: str) -> str | None:
    """The country a language tag names ("en-GB" → "GB", "GB" → "GB"), or None ("en", "es-419")."""
    parts = tag.replace("_", "-").split("-")
    for part in parts[1:] if len(parts) > 1 else parts:
        if _REGION.fullmatch(part) and (len(parts) > 1 or part.isupper()):
            return part.upper()
    return None


def number_problems(value: Any, name: str, regions: list[str], source: str, line: int) -> list[FlowProblem]:
    """What is wrong with one number (`value` as YAML read it) meant for `regions`; [] when nothing is."""
    if value is None or value == "":
        return [ShapeError(source, line, f"emergency number {name} is empty", 'write the number in quotes, like "112"')]
    if not isinstance(value, str):
        return [
            ShapeError(
                source,
                line,
                f"emergency number {name} is not quoted (YAML reads it as {value!r})",
                "put the number in double quotes, so 000 stays 000",
            )
        ]
    if not DIALLED.fullmatch(value):
        return [
            ShapeError(
                source, line, f"emergency number {name} has {value!r}", "write only the digits a person dials, like 112"
            )
        ]
    for region in regions:
        if not shortnumberinfo.is_emergency_number(value, region):
            return [
                ShapeError(
                    source,
                    line,
                    f"{value!r} is not an emergency number in {region} ({SOURCE})",
                    "check the number for that country",
                )
            ]
    return []


def parse_emergency(data: Any, source: str) -> tuple[EmergencyNumbers, list[FlowProblem]]:
    """The numbers in emergency.yaml as read (LineDicts), with every problem found; never raises."""
    if not isinstance(data, LineDict):
        what = "the emergency numbers must be a mapping with 'always' and 'by_language'"
        return EmergencyNumbers(), [ShapeError(source, getattr(data, "line", 1) or 1, what, 'start with always: "112"')]
    problems: list[FlowProblem] = []
    local: dict[str, str] = {}
    regions: list[str] = []
    found = data.get("by_language")
    raw = found if isinstance(found, LineDict) else LineDict()
    if found is not None and raw is not found:
        what = "'by_language' must map language tags to numbers"
        problems.append(ShapeError(source, data.key_lines["by_language"], what, 'write lines like  "en-GB": "999"'))
    for tag, value in raw.items():
        line = raw.key_lines[tag]
        region = region_of(tag)
        if region is None or region not in shortnumberinfo.SUPPORTED_SHORT_REGIONS:
            what = f"'{tag}' names no country {SOURCE} knows"
            problems.append(ShapeError(source, line, what, "write a language tag with its country, like 'en-GB'"))
            continue
        wrong = number_problems(value, f"for '{tag}'", [region], source, line)
        problems += wrong
        if not wrong:
            local[tag] = value
            regions.append(region)
    if "always" not in data:
        problems.append(ShapeError(source, 1, "emergency number 'always' is missing", 'add always: "112"'))
        return EmergencyNumbers(by_language=local), problems
    always, line = data["always"], data.key_lines["always"]
    wrong = number_problems(always, "'always'", sorted(set(regions)), source, line)
    if not wrong and not any(
        shortnumberinfo.is_emergency_number(always, region) for region in shortnumberinfo.SUPPORTED_SHORT_REGIONS
    ):
        what = f"{always!r} is not an emergency number anywhere ({SOURCE})"
        wrong = [ShapeError(source, line, what, 'use "112", which works in the EU and from most mobiles')]
    problems += wrong
    return EmergencyNumbers(always if not wrong else "112", local), problems
