"""Issue 18: the person's country (numbers and words for services), and the note on repeat checks.

Through the real bot, the Bot API stand-in and real SQLite and Redis, over a fixture flow (an emergency
screen, one red flag), so nothing here leans on the shipped flow's wording or order. Country buttons
and texts are read from the shipped content, never written out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bootstrap import Loaded, load_all
from bot.content.library import load_content
from tests.support.botapi import BotApiStandIn
from tests.support.flows import CONTENT_DIR
from tests.support.harness import Person, RunningBot, settings_for

CONTENT = load_content(CONTENT_DIR)
COUNTRIES = CONTENT.countries.listed
NOTE = CONTENT.text("levels.repeat_checks_note")
FLOW = """\
flow: countries
title: Countries
start: screen
steps:
  - id: screen
    kind: emergency
    text: "Is it an emergency?"
    next: flag
    choices:
      - {label: "Emergency", value: "yes", next: emergency}
      - {label: "Fine", value: "no"}
  - id: flag
    kind: red_flag
    text: "A red flag?"
    next: route
    choices:
      - {label: "Flag", value: "yes"}
      - {label: "No flag", value: "no"}
      - {label: "Unsure", value: "not_sure"}
routing:
  - outcome: emergency
    when: {screen: "yes"}
  - outcome: urgent
    when: {flag: "yes"}
  - outcome: routine
    when: {flag: "not_sure"}
  - outcome: self_care
outcomes:
  - {id: emergency, level: emergency, title: Call now, recommendation: Call the number below., watch_for: Nothing.}
  - {id: urgent, level: urgent, title: See a doctor soon, recommendation: Within days., watch_for: Worse.}
  - {id: routine, level: routine, title: Book a visit, recommendation: Book one., watch_for: Worse.}
  - {id: self_care, level: self_care, title: Rest, recommendation: "Call your GP surgery if it lasts.",
     watch_for: Weakness.}
"""
EMERGENCY = ["Emergency"]
SELF_CARE = ["Fine", "No flag"]
NOT_SURE = ["Fine", "Unsure"]


@pytest.fixture(scope="module")
def flow_loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    folder = tmp_path_factory.mktemp("flows")
    (folder / "countries.yaml").write_text(FLOW, encoding="utf-8")
    return load_all([folder], CONTENT_DIR, prove=False)


@pytest.fixture(params=["sqlite", "redis"])
def storage(request: pytest.FixtureRequest) -> str:
    """Each test below that says `storage` runs on both stores."""
    return "sqlite" if request.param == "sqlite" else str(request.getfixturevalue("redis_server").url)


@pytest.fixture
async def running(api: BotApiStandIn, flow_loaded: Loaded, tmp_path: Path, storage: str) -> AsyncIterator[RunningBot]:
    if storage != "sqlite":
        import redis.asyncio as aioredis

        raw = aioredis.Redis.from_url(storage)
        await raw.flushdb()
        await raw.aclose()
    started = await RunningBot(api, flow_loaded, settings_for(api, tmp_path, storage=storage)).start()
    yield started
    await started.stop()


@pytest.fixture
async def sqlite_bot(api: BotApiStandIn, flow_loaded: Loaded, tmp_path: Path) -> AsyncIterator[RunningBot]:
    started = await RunningBot(api, flow_loaded, settings_for(api, tmp_path)).start()
    yield started
    await started.stop()


async def check(person: Person, path: list[str]) -> str:
    """Do one check by `path`; the text of its recommendation (the newest message with a level mark)."""
    await person.command("/start")
    await person.tap_through(path)
    return next(
        m.text for m in reversed(person.api.bot_messages(person.chat)) if m.text.startswith(("🚨", "🔴", "🟠", "🟢"))
    )


async def set_country_by_buttons(person: Person, code: str) -> None:
    """Open the picker from the last recommendation's "Your country" button and tap the country."""
    await person.tap(CONTENT.text("buttons.country"), person.api.last_bot_message(person.chat))
    await person.tap(COUNTRIES[code].button)


def lists_the_numbers(text: str) -> bool:
    return all(part in text for part in ("999 (UK)", "911 (US, Canada)", "000 (Australia)", "112 (EU"))


@pytest.mark.parametrize("code", list(COUNTRIES))
async def test_every_listed_country_shows_its_number_and_112(sqlite_bot: RunningBot, alice: Person, code: str) -> None:
    await alice.command(f"/country {code.lower()}")
    assert COUNTRIES[code].emergency in alice.api.last_bot_message(alice.chat).text  # the confirmation says it
    card = await check(alice, EMERGENCY)
    assert f"Call {COUNTRIES[code].emergency} now" in card
    assert "112" in card
    assert not lists_the_numbers(card)


async def test_with_no_country_the_card_lists_the_numbers_of_several(sqlite_bot: RunningBot, alice: Person) -> None:
    assert lists_the_numbers(await check(alice, EMERGENCY))


async def test_a_language_tag_is_only_a_hint(sqlite_bot: RunningBot, api: BotApiStandIn) -> None:
    user = api.user(1010, "Uma", language_code="en-GB")
    uma = Person(api, user, api.private(user))
    card = await check(uma, EMERGENCY)
    assert lists_the_numbers(card) and card.index("999 (UK)") < card.index("911")


async def test_country_sets_and_changes_the_number_shown(running: RunningBot, alice: Person) -> None:
    assert lists_the_numbers(await check(alice, EMERGENCY))
    await set_country_by_buttons(alice, "US")
    card = await check(alice, EMERGENCY)
    assert "Call 911 now" in card and not lists_the_numbers(card)
    await alice.command("/country")
    await alice.tap(COUNTRIES["AU"].button)
    assert "Call 000 now" in await check(alice, EMERGENCY)


async def test_another_country_by_its_code(sqlite_bot: RunningBot, alice: Person) -> None:
    await alice.command("/country")
    await alice.tap(CONTENT.text("buttons.country_other"))
    assert "/country" in alice.api.last_bot_message(alice.chat).text
    await alice.command("/country FR")
    assert "Call 112 now" in await check(alice, EMERGENCY)
    await alice.command("/country QQ")
    assert "QQ" in alice.api.last_bot_message(alice.chat).text
    assert "Call 112 now" in await check(alice, EMERGENCY)  # unchanged


async def test_the_services_are_named_for_the_country(sqlite_bot: RunningBot, alice: Person) -> None:
    unknown = await check(alice, SELF_CARE)
    assert "GP" not in unknown and CONTENT.countries.variant("your GP surgery", None) in unknown
    await alice.command("/country US")
    assert "your GP surgery" not in await check(alice, SELF_CARE)
    await alice.command("/country GB")
    assert "Call your GP surgery if it lasts." in await check(alice, SELF_CARE)


async def test_forget_removes_the_country_and_the_completion_times(running: RunningBot, alice: Person) -> None:
    await alice.command("/country US")
    await check(alice, SELF_CARE)
    await check(alice, SELF_CARE)
    assert running.store is not None
    user = running.runtime.handlers.anon.user(alice.user.id)  # type: ignore[union-attr]
    stored = await running.store.load_person(user)
    assert stored["country"] == "US" and len(stored["finished"]) == 2
    await alice.command("/forget")
    await alice.tap(CONTENT.text("buttons.forget_yes"))
    assert await running.store.load_person(user) == {}
    assert lists_the_numbers(await check(alice, EMERGENCY))
    assert NOTE not in await check(alice, SELF_CARE)  # counting starts again: this is the second since /forget


async def test_the_third_check_in_a_week_has_the_note_and_the_second_does_not(
    running: RunningBot, alice: Person
) -> None:
    assert NOTE not in await check(alice, SELF_CARE)
    assert NOTE not in await check(alice, SELF_CARE)
    assert NOTE in await check(alice, SELF_CARE)


async def test_a_red_flag_answer_keeps_the_note_away(sqlite_bot: RunningBot, alice: Person, bob: Person) -> None:
    await check(alice, SELF_CARE)
    await check(alice, SELF_CARE)
    third = await check(alice, NOT_SURE)
    assert third.startswith("🟠") and NOTE not in third
    assert NOTE in await check(alice, SELF_CARE)
    await check(bob, SELF_CARE)
    await check(bob, EMERGENCY)
    assert NOTE in await check(bob, SELF_CARE)  # a 🚨 check counts; its card never has the note


async def test_privacy_names_the_country_and_the_times(sqlite_bot: RunningBot, alice: Person) -> None:
    await alice.command("/privacy")
    text = alice.api.last_bot_message(alice.chat).text
    assert "/country" in text and "7 days" in text
