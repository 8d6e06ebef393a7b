"""A follow-up question that people's accounts can answer: `validate` warns, and `test` names the key and the step."""

from __future__ import annotations

from bot.authoring.corpus import read_corpus, run_corpus
from bot.engine.check import account_leaks
from bot.engine.engine import Engine
from bot.engine.errors import AccountLeakWarning
from bot.engine.yaml_source import read_yaml
from tests.engine.conftest import SAFE_ROUTING

FOLLOWED = (
    """\
flow: followed
title: Where, then a follow-up for the eye
start: story
steps:
  - id: story
    kind: account
    text: "In a sentence or two, what's going on?"
    symptom_words: [twitching, twitch]
    next: location
    choices: [{label: "Skip", value: skip}]
  - id: location
    text: "Where is the twitching?"
    choices:
      - {label: "Eye or eyelid", value: eye, mentions: [eyelid, eye], next: eyelid_only}
      - {label: "Face", value: face, mentions: [cheek, face], next: weakness}
  - id: eyelid_only
    text: "Is it only the eyelid?"
    next: weakness
    choices:
      - {label: "Only the eyelid", value: "yes"}
      - {label: "It spreads to my face", value: spreads, mentions: [cheek, face]}
  - id: weakness
    kind: red_flag
    text: "Any weakness?"
    next: route
    choices: [{label: "Yes", value: "yes"}, {label: "No", value: "no"}, {label: "Not sure", value: not_sure}]
"""
    + SAFE_ROUTING
)
"""`eyelid_only` is asked only after "eye", then rejoins at `weakness`; its mentions overlap the face's."""


def test_a_follow_up_that_takes_answers_from_accounts_is_a_located_warning(parse, line_of):
    [problem] = account_leaks(parse(FOLLOWED))
    assert isinstance(problem, AccountLeakWarning) and problem.warning
    assert problem.line == line_of(FOLLOWED, "- id: eyelid_only")
    assert str(problem) == (
        f"flow.yaml:{problem.line}: step 'eyelid_only' is asked only after some answers to 'location', but takes "
        "answers from people's accounts, so a sentence about something else can fill it in; "
        "if it only makes sense after those answers, add `from_account: never` to the step"
    )


def test_from_account_never_silences_it_and_main_line_steps_never_warn(parse):
    quiet = FOLLOWED.replace(
        '    text: "Is it only the eyelid?"\n', '    text: "Is it only the eyelid?"\n    from_account: never\n'
    )
    assert account_leaks(parse(quiet)) == []
    every = FOLLOWED.replace("value: face, mentions: [cheek, face], next: weakness", "value: face, next: eyelid_only")
    assert account_leaks(parse(every)) == []  # asked after every answer: not a follow-up


def test_an_account_that_fills_in_what_it_does_not_state_names_the_key_and_its_step(parse, line_of):
    flow = parse(FOLLOWED)
    text = """\
flow: followed
accounts:
  - text: "My cheek has been twitching for days."
    expect: {location: face}
"""
    raw, _ = read_yaml(text, "language.yaml")
    report = run_corpus(Engine({"followed": flow}), read_corpus(raw, {"followed": flow}, "language.yaml"))
    assert report.failures == [
        "language.yaml:3: filled in eyelid_only: spreads, which it does not state; step 'eyelid_only' "
        f"(flow.yaml:{line_of(FOLLOWED, '- id: eyelid_only')}) takes its answer from accounts: narrow its "
        "choices' `mentions`, or give it `from_account: never`"
    ]
