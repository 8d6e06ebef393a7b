"""Article excerpts, texts and sources from content/<language>/, validated once at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from phonenumbers.shortnumberinfo import is_emergency_number

from bot.content.countries import Countries, parse_countries
from bot.content.emergency_numbers import EmergencyNumbers, parse_emergency, region_of
from bot.engine.given import ContentView
from bot.engine.second_reader import FILE_NAME as SECOND_READER
from bot.engine.second_reader import load_second_reader
from bot.yamlfiles.errors import FlowErrors, FlowProblem, MissingContentError, ShapeError
from bot.yamlfiles.yaml_source import LineDict, LineList, read_source, read_yaml

DEFAULT_LANGUAGE = "en"
REQUIRED_TEXTS = (
    "disclaimer",
    "outcome.why_heading",
    "outcome.excerpts_heading",
    "outcome.watch_heading",
    "outcome.tips_heading",
    "outcome.sources_heading",
    "outcome.emergency_numbers",
    "outcome.excerpt_attribution",
    "outcome.why_line",
    "outcome.emergency_typed",
    "ui.welcome",
    "ui.help",
    "ui.privacy",
    "ui.about",
    "ui.not_understood",
    "ui.english_only",
    "ui.finished",
    "ui.stale_press",
    "ui.card_line",
    "ui.already_saved",
    "ui.moved_on",
    "ui.forged_press",
    "ui.restarted",
    "ui.back_at_start",
    "ui.went_back",
    "ui.cancelled",
    "ui.nothing_to_cancel",
    "ui.forget_confirm",
    "ui.forget_done",
    "ui.forget_kept",
    "ui.non_text",
    "ui.too_long",
    "ui.group_redirect",
    "ui.group_intro",
    "ui.not_your_check",
    "ui.excerpt_card",
    "ui.unknown_topic",
    "ui.error",
    "buttons.why",
    "buttons.start_again",
    "buttons.delete_data",
    "buttons.forget_yes",
    "buttons.forget_no",
    "buttons.continue_private",
    "buttons.start_private_check",
    "buttons.check_privately",
    "shell.unknown_command",
    "shell.stopped",
    "shell.interrupted",
    "shell.end_of_input",
    "shell.summary_offer",
    "buttons.remind",
    "buttons.summary",
    "reminders.message",
    "summary.about_heading",
    "summary.advice",
    "summary.flags_heading",
    "summary.footer",
    "ui.review_question",
    "outcome.emergency_numbers_unknown",
    "outcome.emergency_number_only",
    "outcome.always_where",
    "ui.country_pick",
    "ui.country_set",
    "ui.country_set_unlisted",
    "ui.country_other",
    "ui.country_unknown_code",
    "ui.country_private",
    "ui.privacy_person",
    "ui.help_country",
    "buttons.country",
    "buttons.country_other",
    "levels.repeat_checks_note",
)
"""Texts the code itself shows; a content folder without them is refused at start-up (and a texts.yaml cut
short is refused on reload). tests/content/test_completeness.py checks that every `.text("key")` in bot/ is here."""


@dataclass(frozen=True, slots=True)
class Excerpt:
    """A verbatim passage of the source article, shown with its attribution."""

    id: str
    topic: str
    text: str
    source: str = "article"
    title: str = ""
    """What the excerpt is about, in a few words: the card's title in inline mode."""


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    title: str
    publisher: str
    url: str
    supports: str


@dataclass(frozen=True, slots=True)
class Content(ContentView):
    """Everything a flow may reference by `@key` (the engine's plain `ContentView`), plus what the adapters
    show around it."""

    texts: Mapping[str, str]
    excerpts: Mapping[str, Excerpt]
    sources: Mapping[str, Source]
    emergency_always: str = "112"
    emergency_by_language: Mapping[str, str] = field(default_factory=dict)
    countries: Countries = field(default_factory=Countries)
    """content/<language>/countries.yaml: numbers and words per country (bot/content/countries.py)."""

    def text(self, key: str, **values: Any) -> str:
        """The text under `key`, with `{placeholders}` filled in."""
        template = self.texts[key]
        return template.format(**values) if values else template

    def emergency_number(self, language: str | None) -> str:
        """The local number for a language tag such as `en-GB`, else the always-valid one."""
        if language:
            for tag in (language, language.split("-")[0]):
                number = self.emergency_by_language.get(tag)
                if number:
                    return number
        return self.emergency_always

    def country_for(self, country: str | None, language: str | None) -> str | None:
        """The person's country: the one they set, else a listed country their language tag names
        ("en-GB"; a weak hint, and plain "en" names none)."""
        if country:
            return country
        hinted = region_of(language) if language else None
        return hinted if hinted in self.countries.listed else None

    def local_number(self, country: str | None) -> str | None:
        """The emergency number of a set country: its listed one, else `always` where phonenumbers lists
        it there; None when unknown."""
        if country is None:
            return None
        if country in self.countries.listed:
            return self.countries.listed[country].emergency
        return self.emergency_always if is_emergency_number(self.emergency_always, country) else None

    def emergency_text(self, country: str | None, language: str | None = None) -> str:
        """The 🚨 card's line of numbers: the country's and `always` once it is set; else the `unknown`
        countries' numbers (a country the language tag hints at first) and `always`."""
        local = self.local_number(country)
        if local == self.emergency_always:
            return self.text("outcome.emergency_number_only", always=local)
        if local is not None:
            return self.text("outcome.emergency_numbers", local=local, always=self.emergency_always)
        return self.text("outcome.emergency_numbers_unknown", numbers=self.emergency_list(language))

    def emergency_list(self, language: str | None = None) -> str:
        """The `unknown` countries' numbers, each once with where it works ("911 (US, Canada)"), a country
        the language tag hints at first, then `always`."""
        hinted = self.country_for(None, language)
        by_number: dict[str, list[str]] = {}
        for code in dict.fromkeys([*([hinted] if hinted else []), *self.countries.unknown]):
            entry = self.countries.listed[code]
            by_number.setdefault(entry.emergency, []).append(entry.short)
        by_number.setdefault(self.emergency_always, []).append(self.text("outcome.always_where"))
        return ", ".join(f"{number} ({', '.join(where)})" for number, where in by_number.items())


def _flatten(
    data: Any,
    prefix: str,
    out: dict[str, str],
    source: str,
    problems: list[FlowProblem],
    lines: dict[str, tuple[str, str, int]] | None = None,
) -> None:
    if isinstance(data, LineDict):
        for key, value in data.items():
            name = f"{prefix}.{key}" if prefix else key
            if isinstance(value, LineDict):
                _flatten(value, name, out, source, problems, lines)
            elif isinstance(value, str):
                out[name] = value
                if lines is not None:
                    lines[name] = (value, source, data.key_lines[key])
            else:
                problems.append(
                    ShapeError(source, data.key_lines[key], f"text '{name}' is not a string", "quote the text")
                )


def _read(path: Path, problems: list[FlowProblem]) -> Any:
    if not path.is_file():
        problems.append(MissingContentError(str(path), 1, "content file is missing", f"create {path.name}"))
        return None
    try:
        text = read_source(path)
    except FlowErrors as errors:
        problems.extend(errors.problems)
        return None
    data, found = read_yaml(text, str(path))
    problems.extend(found)
    return data


def _article(path: Path | None, problems: list[FlowProblem]) -> str | None:
    """The article excerpts must quote, if there is one."""
    if path is None or not path.is_file():
        return None
    try:
        return read_source(path)
    except FlowErrors as errors:
        problems.extend(errors.problems)
        return None


def _records(
    data: Any, path: Path, fields: tuple[str, ...], problems: list[FlowProblem], optional: tuple[str, ...] = ()
) -> list[tuple[dict[str, str], int]]:
    if data is None and any(problem.source == str(path) for problem in problems):
        return []  # already reported: missing or unreadable
    if not isinstance(data, LineList):
        problems.append(ShapeError(str(path), 1, "expected a list of entries", "start each entry with '- id: ...'"))
        return []
    records = []
    for item, line in zip(data, data.item_lines, strict=True):
        missing = [name for name in fields if not isinstance(item, dict) or not isinstance(item.get(name), str)]
        if missing:
            problems.append(ShapeError(str(path), line, f"entry lacks {', '.join(missing)}", "add the missing keys"))
            continue
        wrong = [name for name in optional if name in item and not isinstance(item[name], str)]
        if wrong:
            problems.append(ShapeError(str(path), line, f"{', '.join(wrong)} must be text", "quote the value"))
            continue
        records.append(({name: item[name] for name in (*fields, *optional) if name in item}, line))
    return records


def load_content(folder: Path, article: Path | None = None) -> Content:
    """Read content/<language>/; raise FlowErrors listing every problem at once."""
    problems: list[FlowProblem] = []
    texts: dict[str, str] = {}
    text_lines: dict[str, tuple[str, str, int]] = {}
    raw_texts = _read(folder / "texts.yaml", problems)
    _flatten(raw_texts, "", texts, str(folder / "texts.yaml"), problems, text_lines)
    readable = raw_texts is not None or not problems  # an unreadable file is one error, not one per text
    for key in REQUIRED_TEXTS:
        if key not in texts and readable and (folder / "texts.yaml").is_file():
            problems.append(
                MissingContentError(str(folder / "texts.yaml"), 1, f"text '{key}' is missing", "add it to texts.yaml")
            )

    excerpt_path = folder / "excerpts.yaml"
    excerpts: dict[str, Excerpt] = {}
    excerpt_lines: dict[str, tuple[str, int]] = {}
    article_text = _article(article, problems)
    excerpt_data = _read(excerpt_path, problems)
    for record, line in _records(excerpt_data, excerpt_path, ("id", "topic", "text"), problems, ("title",)):
        if record["id"] in excerpts:
            problems.append(
                ShapeError(str(excerpt_path), line, f"excerpt '{record['id']}' is defined twice", "rename one")
            )
        if article_text is not None and record["text"] not in article_text:
            problems.append(
                MissingContentError(
                    str(excerpt_path),
                    line,
                    f"excerpt '{record['id']}' is not a verbatim passage of the article",
                    "copy the passage exactly from the article",
                )
            )
        title = record.get("title") or record["topic"].capitalize()
        excerpts[record["id"]] = Excerpt(record["id"], record["topic"], record["text"], title=title)
        excerpt_lines[record["id"]] = (str(excerpt_path), line)

    source_path = folder / "sources.yaml"
    fields = ("id", "title", "publisher", "url", "supports")
    sources = {
        record["id"]: Source(**record)
        for record, _ in _records(_read(source_path, problems), source_path, fields, problems)
    }
    if "article" not in sources and source_path.is_file():
        problems.append(MissingContentError(str(source_path), 1, "source 'article' is missing", "add the article"))

    emergency_path = folder / "emergency.yaml"
    emergency = _read(emergency_path, problems)
    numbers = EmergencyNumbers()
    if emergency is not None or not any(problem.source == str(emergency_path) for problem in problems):
        numbers, found = parse_emergency(emergency, str(emergency_path))
        problems += found

    countries_path = folder / "countries.yaml"
    countries = Countries()
    if countries_path.is_file():
        raw_countries = _read(countries_path, problems)
        if raw_countries is not None:
            # Against unreadable texts every phrase would look stale: that file's one error is enough.
            countries, found = parse_countries(raw_countries, str(countries_path), text_lines if readable else None)
            problems += found

    language_path = folder / "language.yaml"
    language = _read(language_path, problems) if language_path.is_file() else None
    second_reader = load_second_reader(folder / SECOND_READER)

    if problems:
        raise FlowErrors(problems)
    return Content(
        texts,
        excerpts,
        sources,
        excerpt_lines=excerpt_lines,
        language=language,
        language_source=str(language_path),
        second_reader=second_reader,
        emergency_always=numbers.always,
        emergency_by_language=numbers.by_language,
        countries=countries,
    )
