"""Emergency frames (bot/engine/frames.py) and the language file that declares them, with inline YAML.

None of these read the shipped flow or content: each builds a tiny language and a reader of its own.
"""

from __future__ import annotations

from bot.engine.emergency import EmergencyReader, Verdict
from bot.engine.english import looks_english
from bot.engine.frames import inflect
from bot.engine.language_file import read_language
from bot.engine.model import Cues, Interrupt
from bot.engine.text import words
from bot.yamlfiles.errors import ShapeError, UnknownTargetError
from bot.yamlfiles.yaml_source import read_yaml

LANGUAGE = """\
gap: 2
irregular:
  fall: [fell, fallen]
words:
  unable: ["can't", "cannot", "unable to"]
  move: ["~lift", "~raise"]
  limb: ["arm", "hand"]
  lips: ["lips", "face"]
  blue: ["blue", "purple"]
  down: ["~fall"]
  not_word: ["not"]
  breathe: ["~breathe"]
  speech: ["speech"]
  garbled: ["garbled", "slurred"]
  limp: ["limp", "weak"]
frames:
  stroke:
    ask: [[unable, move, limb], [speech, garbled], [limb, limp], [not_word, +move]]
    together: [[speech, garbled], [limb]]
  breathing:
    fire: [[lips, blue], [not_word, +breathe]]
  collapse:
    ask: [[down]]
safety_words: ["floor"]
cues:
  elsewhere: ["film"]
"""
CONCEPTS = [Interrupt(id, (), "emergency") for id in ("stroke", "breathing", "collapse")]
CUES = Cues(negation=("no", "not", "isn't"), now=("now", "suddenly"), recent_past=("had",), maybe=("worried",))


def reader(text: str = LANGUAGE) -> EmergencyReader:
    raw, problems = read_yaml(text, "content/xx/language.yaml")
    assert not problems
    language, cues, found = read_language(raw, "content/xx/language.yaml", {c.id for c in CONCEPTS})
    assert not found
    merged = Cues(**{name: (*getattr(CUES, name), *cues.get(name, ())) for name in CUES.__slots__})
    return EmergencyReader(CONCEPTS, merged, language=language)


def verdict(text: str) -> Verdict:
    return reader().read(text).verdict


def test_inflect_makes_the_regular_and_irregular_forms():
    assert {"breathe", "breathes", "breathed", "breathing"} <= set(inflect("breathe"))
    assert {"drop", "dropped", "dropping", "drops"} <= set(inflect("drop"))
    assert {"fall", "fell", "fallen", "falling"} <= set(inflect("fall", {"fall": ["fell", "fallen"]}))
    assert "gives way" in inflect("give way")


def test_a_description_is_caught_with_words_between_its_classes():
    assert verdict("her lips look purple") is Verdict.EMERGENCY
    assert verdict("he can't really lift his hand") is Verdict.CONFIRM  # an `ask` frame
    assert verdict("he suddenly can't lift his arm") is Verdict.EMERGENCY  # ask + now


def test_a_frame_needs_its_classes_within_the_gap_and_in_order():
    assert verdict("her lips were fine and the sky was blue") is Verdict.NONE
    assert verdict("blue lips") is Verdict.NONE  # this language only has lips … blue


def test_a_plus_class_must_follow_at_once():
    assert verdict("he is not breathing") is Verdict.EMERGENCY
    assert verdict("not sure why but breathing feels fine") is Verdict.NONE


def test_a_comma_parts_a_plus_class_but_not_a_frame_with_room_between():
    assert verdict("the twitch has not, breathing fine") is Verdict.NONE  # two things said
    assert verdict("her lips, blue") is Verdict.EMERGENCY  # a frame's classes may sit across one


def test_a_listed_phrase_is_not_read_across_a_comma():
    listed = EmergencyReader([Interrupt("breathing", ("stopped breathing",), "emergency")], CUES)
    assert listed.read("he has stopped breathing").verdict is Verdict.EMERGENCY
    assert listed.read("the twitch has stopped, breathing normal").verdict is Verdict.NONE


def test_a_negation_between_the_words_of_a_frame_negates_it():
    assert verdict("her face isn't blue") is Verdict.NONE


def test_a_frame_that_opens_with_its_own_not_is_not_negated_by_an_earlier_one():
    assert verdict("he is not well he is not breathing") is Verdict.EMERGENCY  # the first "not" says something else
    assert verdict("it is not my imagination he can't lift his arm") is Verdict.CONFIRM  # nor before a "can't"


def test_forms_come_from_the_irregular_table():
    assert verdict("my dad fell") is Verdict.CONFIRM


def test_elsewhere_cues_from_the_language_file_calm_a_frame():
    assert verdict("in the film her lips went blue") is Verdict.NONE


def test_safety_words_are_found():
    assert reader().frames.mentions_safety_word(words("he is on the floor"))
    assert not reader().frames.mentions_safety_word(words("my calf twitches"))


def test_an_unknown_word_class_is_a_located_error_with_a_suggestion():
    broken = LANGUAGE.replace("ask: [[unable, move, limb]", "ask: [[unable, mvoe, limb]")
    raw, _ = read_yaml(broken, "content/xx/language.yaml")
    _, _, problems = read_language(raw, "content/xx/language.yaml", {c.id for c in CONCEPTS})
    [problem] = problems
    assert isinstance(problem, UnknownTargetError)
    assert (problem.source, problem.line) == ("content/xx/language.yaml", 18)
    assert "mvoe" in problem.what and "move" in problem.fix


def test_a_concept_that_looks_like_a_typo_is_an_error_and_others_are_left_to_other_flows():
    typo = LANGUAGE.replace("  collapse:\n", "  colapse:\n")
    raw, _ = read_yaml(typo, "content/xx/language.yaml")
    _, _, problems = read_language(raw, "content/xx/language.yaml", {c.id for c in CONCEPTS})
    assert [type(p) for p in problems] == [UnknownTargetError] and "collapse" in problems[0].fix
    other = LANGUAGE.replace("  collapse:\n", "  sunburn:\n")
    raw, _ = read_yaml(other, "content/xx/language.yaml")
    assert read_language(raw, "content/xx/language.yaml", {c.id for c in CONCEPTS})[2] == []


def test_an_unknown_key_is_a_located_error():
    raw, _ = read_yaml(LANGUAGE + "frmaes: {}\n", "content/xx/language.yaml")
    _, _, problems = read_language(raw, "content/xx/language.yaml", {c.id for c in CONCEPTS})
    assert [type(p) for p in problems] == [ShapeError] and "frames" in problems[0].fix


def test_english_is_told_from_other_languages_on_short_texts():
    assert looks_english(words("he cant breath his lips r blue"))
    assert looks_english(words("si"))  # too short to judge
    assert not looks_english(words("no puedo respirar"))
    assert not looks_english(words("мой отец упал"))
    assert not looks_english(words("mere papa ka chehra latak gaya hai"))


def test_vague_signs_of_two_parts_of_the_body_in_one_message_are_an_emergency():
    assert verdict("his speech is garbled") is Verdict.CONFIRM
    assert verdict("his arm is limp") is Verdict.CONFIRM
    assert verdict("his speech is garbled and his arm is limp") is Verdict.EMERGENCY
    assert verdict("His speech is slurred. His hand is weak.") is Verdict.EMERGENCY  # across sentences
    assert verdict("his arm is limp and his hand is weak") is Verdict.CONFIRM  # one part of the body
    # Hedged, asked about or negated signs do not add up: they were asked about for another reason.
    assert verdict("worried his speech is garbled and his arm is limp") is Verdict.CONFIRM
    assert verdict("his speech is not garbled and his arm is limp") is Verdict.CONFIRM


def test_together_names_known_word_classes_in_two_or_more_parts():
    for broken, what in [
        ("together: [[speech, garbled], [limb]]", None),
        ("together: [[speech, garbeld], [limb]]", "garbeld"),
        ("together: [[speech, garbled]]", "two or more"),
    ]:
        text = LANGUAGE.replace("together: [[speech, garbled], [limb]]", broken)
        raw, _ = read_yaml(text, "content/xx/language.yaml")
        _, _, problems = read_language(raw, "content/xx/language.yaml", {c.id for c in CONCEPTS})
        if what is None:
            assert problems == []
            continue
        [problem] = problems
        assert what in problem.what and problem.line == text.splitlines().index(f"    {broken}") + 1


def test_the_not_of_one_sign_does_not_negate_the_next():
    assert verdict("not lifting, lips blue") is Verdict.EMERGENCY  # "not" is the first sign's own word
    assert verdict("not lips blue") is Verdict.NONE  # a negation of its own still negates


def test_a_frame_running_over_a_comma_into_a_not_leaves_the_sign_before_the_comma():
    """ "my arm is funny, not weak": a funny arm, and a weakness denied; not one sign denied."""
    local = reader(
        LANGUAGE.replace("gap: 2", "gap: 3")
        .replace('  limp: ["limp", "weak"]', '  limp: ["limp", "weak"]\n  odd: ["funny", "odd"]')
        .replace("[limb, limp], [not_word, +move]]", "[limb, limp], [limb, odd], [not_word, +move]]")
    )
    assert local.read("my arm is funny, not weak").verdict is Verdict.CONFIRM
    assert local.read("my arm is not weak").verdict is Verdict.NONE
    assert local.read("my arm is funny").verdict is Verdict.CONFIRM
