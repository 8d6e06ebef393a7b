"""What keeps emergency words from raising the alarm when they are not about a person here and now:
idioms, things as subjects, topics to learn about, events over before today, wishes and conditions.

Each test builds a tiny language of its own (inline YAML); none reads the shipped flow or content.
"""

from __future__ import annotations

from bot.engine.context import SentenceContext
from bot.engine.emergency import EmergencyReader, Verdict
from bot.engine.frames import alternatives
from bot.engine.language_file import read_language
from bot.engine.model import Cues, Interrupt
from bot.engine.text import sentences
from bot.yamlfiles.errors import FlowProblem
from bot.yamlfiles.yaml_source import read_yaml

LANGUAGE = """\
words:
  face: ["face"]
  droop: ["~droop", "fell"]
  change: ["~go", "~turn"]
  blue: ["blue"]
  breathless: ["breathless"]
  lips: ["lips"]
  unable: ["can't", "cannot"]
  stand: ["~stand"]
  person: ["i", "i'm", "he", "he's", "she", "my husband", "walker", "driver"]
  thing: ["laptop", "app", "dog", "bike", "car"]
  determiner: ["one of our", "my", "our", "the", "his", "a"]
  opener: ["and", "think"]
  present: ["is", "isn't", "has", "am", "he's"]
  past_verb: ["had", "went", "got", "were"]
  because: ["cos", "because"]
  guess: ["might", "maybe"]
  choke: ["~choke"]
  twitch: ["~twitch"]
  numb: ["numb"]
  one_side: ["one side"]
frames:
  stroke:
    fire: [[face, droop]]
    ask: [[unable, +stand], [numb], [numb, one_side]]
  breathing:
    fire: [[lips, blue]]
    ask: [[change, blue], [breathless]]
explained:
  breathing: ["after (a run|the gym)", "my run"]
  stroke: ["after the gym"]
idioms:
  - "blue in the face"
  - "(can't|cannot) stand (my|him|her)"
  - "face fell when"
asked_of_the_writer: [choke]
safety_words: ["face", "blue", "ambulance"]
cues:
  elsewhere: ["ever", "film", "clue", "just asking"]
  topic: ["the signs of", "difference between"]
  before_today: ["last month"]
  passed: ["fine since"]
  irrealis: ["id", "would", "what if i had"]
  setting: ["at the film"]
  tone: ["lol"]
  distant_past: ["always"]
"""
CONCEPTS = [
    Interrupt("stroke", ("a stroke", "having a stroke"), "emergency"),
    Interrupt("collapse", ("collapsed", "isn't responding", "had a fit", "he's collapsed"), "emergency"),
    Interrupt(
        "seizure", ("seizing", "eyes rolled back"), "emergency", unclear=("legs dead",), unless=("seizing on", "gym")
    ),
    Interrupt("breathing", (), "emergency"),
    Interrupt("choking", ("choking", "can't swallow my spit"), "emergency"),
]
CUES = Cues(
    negation=("not",),
    now=("now", "today", "ambulance", "suddenly"),
    recent_past=("had", "went", "got", "were", "last month", "sometimes"),
    maybe=("worried",),
    boundary=("but",),
    distant_past=("years ago",),
)


def reader(text: str = LANGUAGE) -> EmergencyReader:
    raw, problems = read_yaml(text, "content/xx/language.yaml")
    assert not problems
    language, cues, found = read_language(raw, "content/xx/language.yaml", {c.id for c in CONCEPTS})
    assert not found
    merged = Cues(**{name: (*getattr(CUES, name), *cues.get(name, ())) for name in CUES.__slots__})
    return EmergencyReader(CONCEPTS, merged, language=language)


READER = reader()


def verdict(text: str) -> Verdict:
    return READER.read(text).verdict


def test_choices_in_brackets_spell_out_every_phrase():
    assert alternatives("(can't|cannot) stand (him|her)") == [
        "can't stand him",
        "can't stand her",
        "cannot stand him",
        "cannot stand her",
    ]
    assert alternatives("a (very |)bad day") == ["a very bad day", "a bad day"]


def test_an_idiom_over_a_signs_first_or_last_word_is_that_idiom():
    assert verdict("he went blue in the face arguing") is Verdict.NONE
    assert verdict("I can't stand my manager") is Verdict.NONE
    assert verdict("my face fell when I heard") is Verdict.NONE
    # The same words, not in the idiom, are still a sign.
    assert verdict("he turned blue") is Verdict.CONFIRM
    assert verdict("I suddenly can't stand up") is Verdict.EMERGENCY
    assert verdict("his face fell to one side") is Verdict.EMERGENCY


def said(text: str) -> list[SentenceContext]:
    return [READER.cues.scan(sentence, sentence.words) for sentence in sentences(text)]


def test_an_idioms_words_and_a_things_earn_no_confirming_question():
    assert not READER.mentions_safety_word(said("blue in the face"))
    assert not READER.mentions_safety_word(said("the app went blue"))
    assert READER.mentions_safety_word(said("my face is odd"))
    assert READER.mentions_safety_word(said("the app broke and he went blue"))
    assert READER.mentions_safety_word(said("the app crashed and ambulance"))  # a call for help: a `now` cue


def test_a_sign_said_of_a_thing_in_subject_place_is_left_alone():
    assert verdict("my laptop collapsed today") is Verdict.NONE
    assert verdict("the app went quiet and collapsed") is Verdict.NONE
    assert verdict("I think our dog had a fit") is Verdict.NONE
    assert verdict("the laptop froze then collapsed") is Verdict.NONE  # "then" keeps the subject


def test_a_thing_that_opens_a_clause_of_its_own_is_its_signs_subject():
    assert verdict("we practised handling a dog that collapsed") is Verdict.NONE
    assert verdict("we fixed the car that my husband collapsed beside") is not Verdict.NONE  # not right after


def test_a_determiner_of_several_words_opens_a_things_subject_place():
    assert verdict("one of our dogs collapsed") is Verdict.NONE
    assert verdict("one of our walkers collapsed") is not Verdict.NONE  # a person


def test_a_person_nearer_than_the_thing_keeps_the_sign():
    assert verdict("the laptop broke and my husband collapsed") is Verdict.EMERGENCY
    assert verdict("the dog walker collapsed") is Verdict.EMERGENCY  # a person's name, not a dog
    assert verdict("the car driver isn't responding") is Verdict.EMERGENCY


def test_a_thing_as_an_object_keeps_the_sign():
    assert verdict("fell off his bike and isn't responding") is Verdict.EMERGENCY
    assert verdict("crashed the car and isn't responding") is Verdict.EMERGENCY
    # A comma ends the search: the thing is in another part of the sentence.
    assert verdict("the app broke, collapsed on the floor") is Verdict.EMERGENCY


def test_a_signs_name_after_a_topic_cue_is_a_subject_to_learn_about():
    assert verdict("what are the signs of a stroke") is Verdict.NONE
    assert verdict("the signs of a stroke are here now") is Verdict.CONFIRM
    assert verdict("the signs of it and then later a stroke") is Verdict.EMERGENCY  # too far from the cue
    assert verdict("the difference between a twitch and a stroke") is Verdict.NONE  # further along a list
    assert verdict("the difference between a twitch, he's having a stroke") is Verdict.EMERGENCY  # another part


def test_an_event_over_before_today_is_left_alone_but_not_one_of_today():
    assert verdict("I collapsed last month and have been fine since") is Verdict.NONE
    assert verdict("I collapsed last month") is Verdict.CONFIRM  # not said to be over
    assert verdict("I collapsed today and have been fine since") is Verdict.EMERGENCY
    assert verdict("I collapsed last month and have been fine since, today I ask about my eye") is Verdict.NONE
    assert verdict("I collapsed last month but then fine since") is Verdict.NONE  # over, said in a later part
    assert verdict("I collapsed last month but then") is Verdict.CONFIRM
    # A sign put before today is now only when "now" is said beside it, not of something else after "and I".
    assert verdict("he went and collapsed last month and I am tired now") is Verdict.CONFIRM
    assert verdict("he went and collapsed last month and now") is Verdict.EMERGENCY


def test_a_now_after_a_wish_or_condition_is_no_now():
    assert verdict("if my face ever drooped I'd ring an ambulance") is Verdict.NONE
    assert verdict("my face drooped and I'd ring an ambulance") is Verdict.EMERGENCY  # no condition
    assert verdict("he had a fit, ambulance now") is Verdict.EMERGENCY
    assert verdict("my face would droop") is Verdict.NONE  # the wish between a frame's words
    assert verdict("what if I had a fit") is Verdict.NONE  # a condition whose last word opens the sign
    assert verdict("I had a fit") is Verdict.EMERGENCY  # without the condition


def test_cue_words_between_a_frames_classes_count():
    assert verdict("my face ever drooped") is Verdict.NONE
    assert verdict("my face drooped") is Verdict.EMERGENCY
    assert verdict("he turned now blue") is Verdict.EMERGENCY  # a vague sign with "now" between its words
    assert verdict("he turned blue") is Verdict.CONFIRM


def test_elsewhere_asks_only_with_now_between_the_same_commas():
    assert verdict("in the film he collapsed, anyway my eye is still twitching now") is Verdict.NONE
    assert verdict("watching a film and suddenly he collapsed") is Verdict.CONFIRM


def test_a_definite_sign_of_someone_else_in_the_present_beside_a_film_is_asked_about():
    assert verdict("my husband fell during the film and isn't responding") is Verdict.CONFIRM  # not the story
    assert verdict("watching a film and he is having a stroke") is Verdict.CONFIRM
    assert verdict("watching a film and I am having a stroke") is Verdict.NONE  # of the writer: a figure of speech
    assert verdict("a film where he is having a stroke") is Verdict.NONE  # the story's content
    assert verdict("film night, he's collapsed") is Verdict.CONFIRM  # the person is the sign's first word
    assert verdict("in the film he had a fit") is Verdict.NONE  # in the past


def test_a_hedge_in_an_earlier_part_gives_way_to_now_in_the_signs_own_part():
    assert verdict("worried, he is having a stroke now") is Verdict.EMERGENCY
    assert verdict("worried he is having a stroke now") is Verdict.CONFIRM  # the hedge in the same part
    assert verdict("worried, he is having a stroke") is Verdict.CONFIRM


def test_an_afterword_that_only_says_it_was_not_real_settles_a_question():
    assert verdict("legs dead. Film.") is Verdict.NONE  # "…? hypothetically"
    assert verdict("legs dead. The film was long and my arm hurt") is Verdict.CONFIRM  # more than an afterword
    assert verdict("I had a fit. Film.") is Verdict.EMERGENCY  # never an alarm


def test_an_afterword_that_says_it_did_not_happen_or_opens_with_a_reason_to_ask_settles_a_question():
    assert verdict("legs dead? it's not, film") is Verdict.NONE  # a no and an `elsewhere` cue, a few words
    assert verdict("legs dead? just asking because of a film on the telly") is Verdict.NONE
    assert verdict("legs dead? just asking because it's worse today") is Verdict.CONFIRM  # `now`
    assert verdict("legs dead? my sister is asking because of a film") is Verdict.CONFIRM  # not its opening
    assert verdict("he collapsed. just asking") is Verdict.EMERGENCY  # never an alarm


def test_an_afterword_that_puts_a_question_in_the_past_and_over_settles_it():
    assert verdict("legs dead! but that was last month and fine since") is Verdict.NONE
    assert verdict("legs dead! that was last month") is Verdict.CONFIRM  # in the past, not said to be over
    assert verdict("legs dead! but that was last month and fine since, worse today") is Verdict.CONFIRM  # back now
    assert verdict("legs dead! my sister was ill last month and fine since") is Verdict.CONFIRM  # not about it
    assert verdict("he collapsed! but that was last month and fine since") is Verdict.EMERGENCY  # never an alarm


def test_a_film_named_as_the_place_is_no_elsewhere_cue():
    assert verdict("my husband collapsed at the film") is Verdict.EMERGENCY  # `setting`
    assert verdict("my husband collapsed in the film") is Verdict.NONE


def test_laughter_calms_a_sign_of_the_writer_only():
    assert verdict("I collapsed lol") is Verdict.NONE
    assert verdict("my husband collapsed lol") is Verdict.EMERGENCY  # typed nervously about someone else


def test_the_long_past_of_a_who_clause_leaves_a_sign_stated_in_the_present_alone():
    assert verdict("my husband who had a fit years ago is having a stroke") is Verdict.EMERGENCY
    assert verdict("my husband had a fit years ago") is Verdict.NONE
    assert verdict("years ago my husband is having a stroke") is Verdict.NONE  # no "who": the time is the sign's


def test_an_age_then_is_the_distant_past_but_a_clock_time_is_not():
    assert verdict("I had a fit when I was 3") is Verdict.NONE
    assert verdict("he had a fit at 18 months") is Verdict.NONE
    assert verdict("he had a fit at 3 this afternoon") is Verdict.EMERGENCY


def problems_in(text: str) -> list[FlowProblem]:
    """The problems reading `text` as this file's language reports."""
    raw, _ = read_yaml(text, "content/xx/language.yaml")
    return read_language(raw, "content/xx/language.yaml", {c.id for c in CONCEPTS})[2]


def test_a_bracket_that_does_not_close_is_a_located_error():
    text = LANGUAGE.replace('  - "face fell when"', '  - "face fell when"\n  - "(can\'t|cannot stand him"')
    [problem] = problems_in(text)
    assert problem.line == text.splitlines().index('  - "(can\'t|cannot stand him"') + 1
    assert "(a|b)" in problem.fix


def test_an_ordinary_cause_explains_a_vague_sign_of_its_own_concept_only():
    assert verdict("breathless after a run today") is Verdict.NONE
    assert verdict("breathless today") is Verdict.EMERGENCY
    assert verdict("lips blue after a run") is Verdict.CONFIRM  # a definite sign is asked about, never left alone
    assert verdict("lips blue") is Verdict.EMERGENCY
    assert verdict("after a run my husband collapsed") is Verdict.EMERGENCY  # not a cause of a collapse


def test_a_plural_or_possessive_thing_is_a_thing():
    assert verdict("the laptops collapsed") is Verdict.NONE
    assert verdict("the app's gone and collapsed") is Verdict.NONE


def test_an_unless_phrase_reaches_a_definite_sign_only_between_the_same_commas():
    assert verdict("he keeps seizing on every mistake") is Verdict.NONE
    assert verdict("he keeps seizing") is Verdict.EMERGENCY
    assert verdict("seizing on the field, his eyes rolled back") is Verdict.EMERGENCY
    assert verdict("gym today, legs dead") is Verdict.NONE  # a vague sign: the whole clause
    assert verdict("legs dead") is Verdict.CONFIRM


def test_a_sign_stated_in_the_present_is_not_put_in_the_past_by_what_led_to_it():
    assert verdict("he got stung and has collapsed") is Verdict.EMERGENCY
    assert verdict("he went down and isn't responding") is Verdict.EMERGENCY
    assert verdict("he got stung and collapsed") is Verdict.CONFIRM  # the sign itself in the past
    assert verdict("sometimes he has collapsed") is Verdict.CONFIRM  # how often, not what led to it
    assert verdict("he has collapsed, he went home after") is Verdict.CONFIRM  # a past verb after the sign


def test_what_was_going_on_or_a_present_verb_inside_the_sign_keeps_it_in_the_present():
    assert verdict("he has collapsed, we were eating") is Verdict.EMERGENCY  # what was going on
    assert verdict("he has collapsed, we were there") is Verdict.CONFIRM
    assert verdict("got stung and my face is drooping") is Verdict.EMERGENCY  # "is" between the frame's words


def test_a_sign_inside_a_longer_sign_of_its_kind_is_judged_as_that_one():
    assert verdict("he would be having a stroke") is Verdict.NONE  # "a stroke" is part of the wish too
    assert verdict("he is having a stroke") is Verdict.EMERGENCY


def test_a_number_after_a_call_is_a_phone_number_not_a_year():
    assert verdict("he collapsed and we called 1990") is Verdict.EMERGENCY
    assert verdict("he collapsed in 1990") is Verdict.NONE


def test_a_colon_or_a_spaced_dash_is_a_pause_not_a_new_sentence():
    assert [s.words for s in sentences("Clue: he collapsed - fine")] == [("clue", "he", "collapsed", "fine")]
    assert verdict("Clue: a sudden fall - collapsed") is Verdict.NONE  # the cue before the colon still counts
    assert verdict("Clue. Collapsed") is Verdict.EMERGENCY  # a full stop does part them


def test_a_full_stop_after_every_word_or_two_is_one_sentence_typed_in_bursts():
    assert [s.text for s in sentences("my. face. fell. just now.")] == ["my face fell just now"]
    assert verdict("my. face. fell. just now.") is Verdict.EMERGENCY
    assert [s.text for s in sentences("No. Fine. He fell.")] == ["no fine he fell"]
    assert [s.text for s in sentences("No. I am fine.")] == ["no", "i am fine"]  # two are not a run
    assert [s.text for s in sentences("tired? me? always")] == ["tired", "me", "always"]  # questions


def test_a_sign_stated_before_a_question_is_not_made_a_question():
    assert verdict("he is having a stroke, what do I do?") is Verdict.EMERGENCY
    assert verdict("is he having a stroke?") is Verdict.CONFIRM


def test_were_with_an_apostrophe_is_we_are_not_a_past_tense():
    assert verdict("we're at home and he collapsed") is Verdict.EMERGENCY
    assert verdict("we were at home and he collapsed") is Verdict.CONFIRM  # "were" is past


def test_an_ordinary_cause_given_as_a_reason_after_the_sign_explains_it():
    assert verdict("breathless today but that's cos of my run") is Verdict.NONE
    assert verdict("breathless today but then my run") is Verdict.EMERGENCY  # named, not given as the reason


def test_a_pattern_is_searched_only_in_sentences_with_a_word_it_can_start_with():
    from bot.engine.emergency import _first_words

    assert _first_words("(face|mouth|one side of) (is |)drooping") == frozenset({"face", "mouth", "one"})
    assert _first_words("(can't|cannot) lift") == frozenset({"cant", "cannot"})
    assert _first_words("(very |)weak") is None  # may start at its second group
    assert _first_words("arm (is |)dead") is None  # does not open with choices: always searched


def test_an_ordinary_cause_only_guessed_at_explains_nothing():
    assert verdict("breathless after a run today") is Verdict.NONE
    assert verdict("breathless today, maybe after a run") is Verdict.EMERGENCY
    assert verdict("breathless, might be my run") is Verdict.CONFIRM
    assert verdict("maybe I'm silly, breathless after a run") is Verdict.NONE  # the guess is in another part


def test_a_sign_the_writer_can_type_of_themselves_is_asked_about():
    assert verdict("he's choking") is Verdict.EMERGENCY
    assert verdict("I'm choking") is Verdict.CONFIRM  # `asked_of_the_writer: [choke]`
    assert verdict("I'm choking now") is Verdict.EMERGENCY
    assert verdict("I can't swallow my spit") is Verdict.EMERGENCY  # no `choke` word in the sign


def test_a_vague_sign_before_today_told_before_the_twitching_is_over():
    assert verdict("breathless last month") is Verdict.CONFIRM
    assert verdict("breathless last month, my calf has twitched since") is Verdict.NONE
    assert verdict("lips blue last month, my calf has twitched since") is Verdict.CONFIRM  # not a vague sign
    assert verdict("breathless last month and now, my calf twitches") is Verdict.EMERGENCY


def test_a_habit_said_between_a_frames_words_is_no_event():
    assert verdict("my face always droops in photos") is Verdict.NONE
    assert verdict("my face droops") is Verdict.EMERGENCY


def test_a_history_only_guessed_at_is_no_history():
    assert verdict("my face droops, always like that") is Verdict.NONE
    assert verdict("my face droops, maybe it is always like that") is not Verdict.NONE
    assert verdict("maybe I worry, but my face droops, always like that") is Verdict.NONE  # another clause's guess


def test_a_thing_after_a_person_is_not_the_subject():
    assert verdict("my car turned blue") is Verdict.NONE
    assert verdict("my walker by car turned blue") is Verdict.CONFIRM  # the walker is the subject, not the car


def test_a_topic_named_in_a_film_or_class_today_asks_nothing():
    assert verdict("the signs of a stroke are here now") is Verdict.CONFIRM
    assert verdict("a film on the signs of a stroke today") is Verdict.NONE


def test_an_unknown_class_asked_of_the_writer_is_a_located_error():
    text = LANGUAGE.replace("asked_of_the_writer: [choke]", "asked_of_the_writer: [chocke]")
    [problem] = problems_in(text)
    assert "chocke" in problem.what and "choke" in problem.fix
    assert problem.line == text.splitlines().index("asked_of_the_writer: [chocke]") + 1


def test_a_no_inside_a_wider_match_over_the_same_sign_still_negates_it():
    """ "has epilepsy, no seizure today": the frame over the phrase is the same sign, and its "not" is the phrase's."""
    wider = reader(
        LANGUAGE.replace("  stroke:\n", "  seizure:\n    ask: [[past_verb, fit]]\n  stroke:\n", 1).replace(
            '  choke: ["~choke"]', '  choke: ["~choke"]\n  fit: ["seizing"]'
        )
    )
    assert wider.read("they were not seizing today").verdict is Verdict.NONE
    assert wider.read("they were seizing today").verdict is Verdict.EMERGENCY
    assert wider.read("not moving, he is seizing").verdict is Verdict.EMERGENCY  # another sign's "not" is its own


def test_a_sign_on_one_side_of_the_body_is_never_explained_by_an_ordinary_cause():
    assert verdict("my leg is numb after the gym") is Verdict.NONE
    assert verdict("numb on one side after the gym") is Verdict.CONFIRM


def test_one_word_naming_the_kind_of_thing_may_open_its_subject_place():
    assert verdict("work laptop collapsed today") is Verdict.NONE  # "prod server collapsed"
    assert verdict("mid app my face fell") is Verdict.EMERGENCY  # the sign is not right after the thing
    assert verdict("I laptop collapsed") is not Verdict.NONE  # "I" names no kind of thing


def test_an_idiom_that_runs_over_a_comma_is_not_that_idiom():
    assert verdict("I can't stand her") is Verdict.NONE
    assert verdict("she suddenly can't stand, her leg won't work") is not Verdict.NONE


def test_when_someone_was_doing_something_is_no_distant_past():
    local = reader(LANGUAGE.replace('distant_past: ["always"]', 'distant_past: ["always", "when he was"]'))
    assert local.read("his lips went blue when he was little").verdict is Verdict.NONE  # an age then
    assert local.read("his lips went blue when he was eating his tea").verdict is not Verdict.NONE  # what he did


def test_two_vague_signs_one_cause_is_said_to_explain_are_asked_about():
    assert verdict("my leg is numb after the gym") is Verdict.NONE
    assert verdict("my leg is numb and I can't stand after the gym") is Verdict.CONFIRM  # more than a workout does
    assert verdict("I can't stand after the gym") is Verdict.NONE


def test_a_two_digit_year_after_back_in_is_the_distant_past():
    assert verdict("my lips went blue back in '98, fine since") is Verdict.NONE
    assert verdict("my lips went blue back in 98") is Verdict.NONE
    assert verdict("my lips went blue") is not Verdict.NONE


def test_a_thing_right_after_in_or_on_is_a_place_not_the_one_the_sign_is_about():
    assert verdict("a guest in car 3 collapsed") is not Verdict.NONE
    assert verdict("a guest on bike 2 collapsed today") is not Verdict.NONE
    assert verdict("the car collapsed") is Verdict.NONE  # the thing itself


def test_another_meaning_only_guessed_at_leaves_a_vague_sign_asked_about():
    assert verdict("gym today, legs dead") is Verdict.NONE
    assert verdict("legs dead, maybe the gym") is Verdict.CONFIRM  # the other meaning only guessed at


def test_now_after_the_sign_was_said_to_be_over_is_the_writers_not_the_signs():
    assert verdict("my husband collapsed last month fine since today I'm asking about my eye") is Verdict.NONE
    assert verdict("my husband collapsed last month and today again") is not Verdict.NONE


def test_it_after_a_thing_and_no_person_is_that_thing():
    """Far from the thing's own place in the sentence: "it" names the last thing named before it."""
    assert verdict("my laptop fell right into the deep end of the pool and now it isn't responding") is Verdict.NONE
    assert verdict("my husband fell right into the deep end of the pool and now it isn't responding") is not (
        Verdict.NONE
    )  # no thing named: "it" is no thing
    assert verdict("the laptop fell on my husband and now it isn't responding") is not Verdict.NONE  # a person between


def test_a_piece_of_a_thing_or_a_person_named_in_the_sign_is_no_things_doing():
    assert verdict("a dog bone is choking him") is not Verdict.NONE  # a piece of the thing, not the dog
    assert verdict("the dog is choking") is Verdict.NONE
    assert verdict("the app says can't swallow my spit") is not Verdict.NONE  # "my" names the person in the sign
