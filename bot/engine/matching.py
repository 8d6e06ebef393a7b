"""Understanding a typed answer to the question on screen, in the person's own words.

The readings are tried from the most to the least certain, and the first that finds
anything decides (so "1 month" is a duration before "1" can be an option number):

1. the whole answer is a choice's label, value or synonym ("Leg or foot", "nope", "I think so");
   also a label with one typo ("Less thn 2 weeks" is not "2 weeks", "Mouth, otngue or throat"
   is not two places);
2. a quantity read by its meaning, on questions with ranges ("3 days", "about a month");
3. mentions anywhere in the text ("my left calf" → leg; "no coffee at all" → caffeine: no),
   with NegEx negation; two different choices named → the step's `combined` choice if it
   has one ("calf and arm" → more than one place), otherwise the answer is ambiguous;
4. small typos in a short answer ("yse", "not shure");
5. a leading answer that stands apart ("No, not really", "yes I have"; not "no trouble breathing");
6. a bare number, as the option number ("2", "option 2").

An ambiguous answer comes back with its candidates so the engine can ask, never guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from bot.engine.context import Cue, CueReader, Negation, SentenceContext
from bot.engine.model import NO, NOT_SURE, YES, Step, StepKind
from bot.engine.quantities import OTHERS, YEAR, ages, durations
from bot.engine.text import Found, PhraseIndex, Sentence, normalize, sentences, words

__all__ = ["ChoiceMatcher", "Match", "Parsed", "TextParser", "allowed_typos", "normalize"]

_OPTION = re.compile(r"^(?:option|number|choice)?\s*(\d{1,2})$")
_FILLER_START = ("option ", "its ", "it is ", "i would say ", "id say ", "i guess ", "answer ")
_FILLER_END = (
    " please",
    " thanks",
    " thank you",
    " i guess",
    " i think",
    " lah",
    " leh",
    " lor",
    " thank god",
    " thank goodness",
    " thankfully",
)
INTERJECTIONS = frozenset({"yes", "yeah", "yep", "yup", "ya", "yea", "no", "nope", "nah", "na"})
"""Answer words that may run straight into the rest of a reply ("yes I have", "no never")."""
ROUGHLY = frozenset({"around", "about", "roughly", "approximately", "approx", "somewhere", "ish", "circa"})
"""Words that make an amount a rough one: "around 50" at a question whose line is 50 is not sure."""
HEDGES = frozenset({"maybe", "perhaps", "possibly", "unsure", "dunno", "idk", "probably", "might"})
"""Words that turn a leading yes or no into "not sure" ("no... maybe", "yes I think, not sure")."""
AGREEING = frozenset({"yes", "yeah", "yep", "yup", "ya", "yea", "aye", "yess", "yesss"})
"""A yes word that may open a plain statement of what is so ("yes food sticks more than it used to")."""
SOFTENERS = frozenset(
    {("a", "bit"), ("a", "little"), ("a", "little", "bit"), ("bit",), ("kinda",), ("sort", "of"), ("kind", "of")}
)
"""Before a yes, these soften it without taking it back: "a bit yeah, mostly at night" is yes."""
DENYING = frozenset(
    {"no", "not", "never", "nothing", "none", "nope", "nah", "dont", "cant", "isnt", "havent", "hasnt", "didnt"}
    | {"wasnt", "doesnt", "arent", "wont", "aint", "neither", "nor"}
)
"""After a leading yes, these may take it back ("yes, well no, not really"): then it is not taken."""
FOLLOWERS = frozenset(
    {"i", "im", "ive", "it", "its", "but", "and", "though", "not", "never", "thanks", "thank", "all", "everything"}
    | {"my", "he", "hes", "she", "shes", "we", "o", "just", "only", "strong"}
    | {"nothing", "none", "fine", "definitely", "really", "totally", "absolutely", "thats", "a", "quite", "very"}
)
"""Words that, right after a yes or no, show the yes or no was the answer ("no I haven't")."""

MAX_TYPO_WORDS = 8
"""Whole-answer typo tolerance is for answers of a few words (a label with a typo), not sentences."""


def allowed_typos(phrase: str) -> int:
    """Edits tolerated in a whole short answer: none for very short ones, where typos collide."""
    size = len(phrase)
    return 0 if size <= 2 else 1 if size <= 6 else 2


@dataclass(frozen=True, slots=True)
class Match:
    """What a typed answer means: one choice value, or the candidates it could mean, or nothing."""

    value: str | None = None
    candidates: tuple[str, ...] = ()
    how: str = field(default="", compare=False)
    """Which reading decided (one of READINGS), for the studio's trace; empty when nothing was read."""
    phrase: str = field(default="", compare=False)
    """What it matched, as the flow writes it: the label, synonym or mention, the amount read, the option number."""

    @property
    def ambiguous(self) -> bool:
        return self.value is None and len(self.candidates) > 1

    @property
    def whole(self) -> bool:
        """The text was a choice's own words (its label, value or a synonym, perhaps with a typo)."""
        return self.how in WHOLE_READINGS


NOTHING = Match()

WHOLE_READINGS = frozenset({"label", "value", "synonym", "flow synonym", "typo"})
"""Readings (below) that take the whole text as a choice's own words."""

READINGS = {
    "label": "the choice's label",
    "value": "the choice's value",
    "synonym": "a synonym of the choice",
    "flow synonym": "a synonym of the flow (`synonyms:`)",
    "typo": "a label or synonym with a typo",
    "opening": "an answer that opens the reply",
    "closing": 'an answer drawn after the last comma ("…, so no")',
    "range": "an amount, by the choice's range",
    "mention": "a mention",
    "negated mention": "a mention, negated",
    "combined": "mentions of several choices (the step's `combined` choice)",
    "hedge": "a hedge (not sure)",
    "leading": "an answer that leads the reply",
    "option": "the option number",
    "no and own words": "a no, then only this question's words",
}
"""How a typed answer can be read (`Match.how`), as the studio's trace names it."""

ASIDES = frozenset(
    {
        "maam",
        "oh",
        "eish",
        "ag",
        "haibo",
        "abeg",
        "ka",
        "krub",
        "lah",
        "sir",
        "mate",
        "bro",
        "lol",
        "tbh",
        "fr",
        "pls",
        "please",
        "thanks",
        "ty",
        "innit",
        "honestly",
        "dear",
        "love",
        "luv",
        "darling",
        "hun",
        "madam",
        "doc",
        "doctor",
    }
)
"""Words around an answer that change nothing: "no ma'am", "nope lol"."""
ASKING = frozenset(
    {
        "what",
        "whats",
        "how",
        "hows",
        "does",
        "do",
        "is",
        "isnt",
        "should",
        "can",
        "would",
        "could",
        "which",
        "why",
        "whether",
        "where",
        "wheres",
        "who",
        "when",
        "are",
        "did",
        "shall",
        "wdym",
    }
)
"""A question that starts with one of these asks back ("is being busy at work stress?"): it is asked about."""
ASKING_OPENINGS = frozenset(
    {
        ("what", "do", "you", "mean"),
        ("what", "do", "u", "mean"),
        ("wat", "do", "you", "mean"),
        ("wat", "do", "u", "mean"),
        ("what", "you", "mean"),
        ("what", "does", "that", "mean"),
        ("what", "counts"),
        ("whats", "counted"),
        ("how", "do"),
        ("how", "would"),
        ("how", "much"),
        ("how", "many"),
        ("what", "is"),
        ("whats", "a"),
        ("define",),
        ("what", "does"),
        ("does",),
        ("is", "that"),
        ("do", "you"),
        ("wdym",),
        ("what", "kind"),
        ("what", "sort"),
        ("what", "type"),
        ("which", "one"),
        ("which", "counts"),
        ("which", "is", "it"),
        ("which", "do", "you"),
        ("which", "should"),
    }
)
"""Openings that ask back even without a question mark."""
ASKING_AFTER = frozenset({"how", "where", "which", "what"})
"""A question word after the question's own word, in its short first part, asks what it means ("spreading where
exactly?")."""
LIKE_WHAT = frozenset({"a", "an", "the", "when", "if", "what", "how", "this", "that", "my", "in"})
"""A question opening "like a…", "like when…" asks what the bot's question means ("like a bruise?")."""
OPENING_FILLERS = frozenset({"hmm", "hm", "hmmm", "um", "umm", "er", "erm", "uh", "uhh", "ok", "okay", "so", "well"})
"""Sounds before a question back: "hmm what counts as right now?" still asks."""
CONCLUDING = frozenset({"so", "therefore", "thus"})
"""Words that open an answer drawn from what was said before: "…, so no"."""
TURNS = frozenset({"but", "though", "although", "except", "apart", "however", "actually"})
"""After an opening answer, these may turn it round: "no, but I do drink tea"."""
UNSURE_PHRASES = (
    "not sure",
    "cant remember",
    "can t remember",
    "dont remember",
    "cant really say",
    "no idea",
    "who knows",
    "hard to tell",
    "cant tell",
    "cannot tell",
    "hard to say",
    "couldnt tell",
    "no sure",
    "dont know",
    "not certain",
    "uncertain",
    "what counts",
    "cant really remember",
    "dont really know",
    "dont really remember",
    "cant really tell",
    "i think its just",
    "think im just",
    "i think thats just",
    "probably just",
    "imagining",
    "think its the",
    "think i was just",
    "think it was just",
    "hard to say",
    "hard to know",
    "cant say really",
    "honestly cant say",
    "could be in my head",
    "might be in my head",
    "its in my head",
    "its all in my head",
    "or was it always",
    "or has it always",
    "cant say how often",
    "cant say for sure",
    "really cant say",
    "so i cant say",
    "couldnt tell you",
    "cant tell you",
    "lost track",
    "have to check",
    "dont count",
    "cannae tell",
    "canna tell",
    "cannae say",
    "canna say",
    "canna rightly say",
    "need to check",
    "lose track",
    "losing track",
    "adopted",
    "never knew my",
    "dont know my family",
)
"""Said with no answer, these mean "not sure" where it is a choice."""
UNNOTICED = (
    "i havent noticed",
    "i dont hear it",
    "i cant hear it",
    "i dont notice",
    "i didnt notice",
    "i havent seen it",
    "i cant see it",
    "not noticed",
    "i dont see it",
    "i dont see that",
    "havent weighed",
    "havent checked",
    "not checked",
    "havent measured",
    "did not check",
    "didnt check",
    "worries too much",  # "my mum says my arm looks thinner but I think she worries too much"
    "worry too much",
    "fusses too much",
)
"""The writer has not noticed what someone else says they see, or doubts it: a yes turns into "not sure"."""
MANAGING = frozenset({"everything", "all", "manage", "normally", "fine", "ok", "okay", "cope"})
"""After "but … still", these say the person manages as before: "a bit weak but I can still do everything"."""
EXCUSES = frozenset(
    {"newborn", "baby", "twins", "toddler", "toddlers", "shift", "shifts", "nights", "unfit", "age", "pregnant"}
    | {"stone", "overweight", "smoker", "everyone", "everybody", "clumsy"}
    | {"ship", "boat", "hungover", "drunk", "jetlag", "jetlagged", "arent", "old", "older", "retired"}
    | {"ice", "icy", "snow", "slippery"}
)
"""After "but", an ordinary reason for a sign: the yes before it becomes "not sure"."""
VAGUE_AMOUNTS = frozenset({"ages", "while", "forever", "donkeys"})
"""An amount only guessed at ("for ages"): said with "can't say", it is not sure."""
NEAR = (0.7, 1.5)
"""An amount this near where two choices meet (as a share of it) may be on either side when said so."""
FAR_BELOW = 0.5
"""Said with "maybe more" and doubt ("a week or so, maybe more, honestly I've lost track"), an amount down to
this share of where two choices meet may be past it."""
_NAME_DOUBTS = (
    r"(?:what|wat) (?:its|it is|they are|theyre|it was) called|(?:which|what) (?:type|kind)|the name"
    r"|(?:its|the|their) names?|what (?:they are|theyre|its|it is|they re) for"
)
"""Not knowing only what a thing is called, what kind it is or what it is for."""
_REASON_UNKNOWN = re.compile(
    r"\b(?:no idea|dont know|not sure|cant tell|who knows|cant remember|forget|forgot) "
    r"(?:why|(?:if |whether |)(?:that|it|this) (?:counts|matters)|(?:what|wat|which) to|to (?:which|what)"
    rf"|{_NAME_DOUBTS})\b"
)
"""Not knowing why something happens ("waking with headaches, no idea why"), whether it counts ("swapped my
inhaler brand, not sure that counts"), or what it is called ("GP changed my pill, don't know what it's called")
is no doubt about whether it does."""

_NAME_UNKNOWN = re.compile(rf"\b(?:no idea|dont know|not sure|cant remember|forget|forgot) (?:{_NAME_DOUBTS})\b")
"""The part of `_REASON_UNKNOWN` that doubts only what a thing is called or for: after a plain yes ("YES, the heart
doctor put me on something new, don't know the name") it leaves the yes, where a doubt whether it counts does not."""
_AMOUNT_GUESSED = re.compile(
    r"\b(?:maybe|perhaps|probably|possibly) (?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a couple|a few)\b"
    r"|\b(?:once|twice|\d+ times|a few times) (?:a|an|per) (?:day|week|month|year|fortnight) "
    r"(?:maybe|perhaps|probably)\b"
)
"""A guess at how many or how often ("dropping cups more, maybe 3 this week", "once a month maybe") is no
doubt about whether."""
STOPPED = ("not since", "not since then", "none since", "none since then", "not anymore", "not any more")
"""Ending an answer after a sign, these say it stopped: "when I was pregnant, not since"."""
CONCEDING = ("even", "though")
"""Not a turn: "…even though I sleep fine" concedes, and the yes before it stands."""
ALL_FINE = frozenset({"fine", "normal", "ok", "okay", "good", "alright", "same", "great", "grand"})
"""After a leading no, these say what is fine: "no, both of those are fine" is no."""
NOTHING_THERE = ALL_FINE | {"nil", "none", "negative", "absent", "stable", "unchanged", "unaffected"}
"""Right after a sign named at a yes/no question, these say it is not there: "stiffness nil", "weight stable"."""


@dataclass(frozen=True, slots=True)
class Parsed:
    """A message cut into sentences with their cues, parsed once and read by every matcher."""

    contexts: tuple[SentenceContext, ...]


class TextParser:
    """Splits messages into sentences and finds a flow's cue words in them."""

    def __init__(self, cues: CueReader) -> None:
        self.cues = cues

    def parse(self, text: str, found: Sequence[Sentence] | None = None) -> Parsed:
        """Cues for each sentence of `text`; pass `found` when the sentences are already split."""
        split = sentences(text) if found is None else found
        return Parsed(tuple(self.cues.scan(sentence, sentence.words) for sentence in split))


class ChoiceMatcher:
    """Maps a typed answer to one of a step's choices (see the module docstring for the order)."""

    def __init__(self, step: Step, flow_synonyms: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self.step = step
        self.values = tuple(choice.value for choice in step.choices)
        self.exact: dict[str, str] = {}
        self.origin: dict[str, tuple[str, str]] = {}
        """Each exact phrase's kind (label, value, synonym, flow synonym) and its words as written."""
        for choice in step.choices:
            shared = flow_synonyms.get(choice.value, ()) if flow_synonyms else ()
            written = [
                ("label", choice.label),
                ("value", choice.value.replace("_", " ")),
                *(("synonym", phrase) for phrase in choice.synonyms),
                *(("flow synonym", phrase) for phrase in shared),
            ]
            for kind, phrase in written:
                said = normalize(phrase)
                if said and said not in self.exact:
                    self.exact[said] = choice.value
                    self.origin[said] = (kind, phrase)
        self.phrases = list(self.exact)
        self.mentions: PhraseIndex[str] = PhraseIndex(
            (phrase, choice.value) for choice in step.choices for phrase in choice.mentions
        )
        self.mention_words = {
            (words(phrase), choice.value): phrase for choice in step.choices for phrase in choice.mentions
        }
        """Each mention as written, by its words and value: the trace names the one that matched."""
        self.ranges = [(choice.range, choice.value) for choice in step.choices if choice.range is not None]
        self.quantity = step.quantity
        self.aged = tuple((choice.value, choice.from_age) for choice in step.choices if choice.from_age is not None)
        """Choices whose clear cause holds from an age (`from_age`): only their steps read ages beside a yes."""
        self.explaining = frozenset(choice.value for choice in step.choices if choice.explains)
        """Choices that name an ordinary cause of a yes ("cramps with a clear cause")."""
        self.own_words = frozenset(words(step.text)) | {
            word for choice in step.choices for phrase in (choice.label, *choice.mentions) for word in words(phrase)
        }
        """The words this question is about, in its text, labels and mentions."""
        self.leading = sorted(self.exact, key=lambda phrase: -len(phrase))

    def match(self, text: str) -> str | None:
        """The choice value meant by `text`, or None when it is unclear or ambiguous."""
        return self.read(text).value

    def read(self, text: str, parsed: Parsed | None = None, cues: CueReader | None = None) -> Match:
        """What `text` means at this step; `parsed` (with its cues) enables mentions with negation.

        The match also says how it was read (`how`, `phrase`), for the studio's trace."""
        said = normalize(text)
        if not said:
            return NOTHING
        trimmed = _trim(said)
        plain = _plain_answer(trimmed)
        for candidate in (said, trimmed, plain):
            if candidate in self.exact:
                return self._exact(candidate)
        if parsed is None:
            parsed = TextParser(cues or CueReader.empty()).parse(text)
        if _asks_back(parsed):
            return NOTHING
        near = self._closest(trimmed, most=1)  # "Less thn 2 weeks" is the label, not "2 weeks"
        if near is not None:
            return self._typo(near, trimmed)
        fine = self._no_then_fine(trimmed)
        if fine is not None:
            return Match(fine, how="leading", phrase=trimmed.split(" ", 1)[0])
        opening = self._opening(parsed)
        if opening is not None:
            return Match(opening, how="opening", phrase=" ".join(parsed.contexts[0].said[: self._cut(parsed)]))
        closing = self._closing(parsed)
        if closing is not None:
            return Match(closing, how="closing", phrase=" ".join(parsed.contexts[-1].said[-3:]))
        for reading in (self._quantity, self._mentioned):
            found = reading(parsed)
            if found is not NOTHING:
                doubt = _AMOUNT_GUESSED.sub("", _REASON_UNKNOWN.sub("", plain))  # "no idea why", "maybe 3 this week"
                hedged = set(doubt.replace("?", " ").split()) & HEDGES or any(p in doubt for p in UNSURE_PHRASES)
                unsure = found.value == YES or set(found.candidates) == {YES, NOT_SURE}
                if unsure and NOT_SURE in self.values and hedged:
                    # "maybe a bit clumsier"; "not sure about family history, I was adopted"
                    return Match(NOT_SURE, how="hedge", phrase=found.phrase)
                if found.value == NO and NOT_SURE in self.values:
                    doubted = next((phrase for phrase in UNSURE_PHRASES if phrase in plain), None)
                    if doubted:
                        # "now and then, not sure if that's a lot", "breathing feels normal-ish, hard to say"
                        return Match(NOT_SURE, how="hedge", phrase=doubted)
                return found
        close = self._closest(trimmed)
        if close is not None:
            return self._typo(close, trimmed)
        lead = self._leading(trimmed, parsed)
        if lead is not None:
            return Match(lead, how="leading", phrase=next((p for p in self.leading if trimmed.startswith(p)), ""))
        option = _OPTION.match(trimmed)
        if option and 1 <= int(option.group(1)) <= len(self.values):
            return Match(self.values[int(option.group(1)) - 1], how="option", phrase=option.group(1))
        plain_words = _AMOUNT_GUESSED.sub("", plain).split()
        if (
            NO in self.values
            and len(plain_words) > 1
            and self.exact.get(plain_words[0]) == NO
            and not set(plain_words) & (TURNS | HEDGES)
            and all(word in self.own_words for word in plain_words[1:] if len(word) >= 4)
        ):
            # "no cramps": a no, then only words of this question ("no trouble breathing" isn't)
            return Match(NO, how="no and own words", phrase=plain_words[0])
        if NOT_SURE in self.values and (set(plain_words) & HEDGES or any(h in plain for h in UNSURE_PHRASES)):
            # "honestly can't remember when it started": nothing else said
            hedge = next((w for w in plain_words if w in HEDGES), None) or next(h for h in UNSURE_PHRASES if h in plain)
            return Match(NOT_SURE, how="hedge", phrase=hedge)
        return NOTHING

    def _exact(self, said: str) -> Match:
        kind, written = self.origin[said]
        return Match(self.exact[said], how=kind, phrase=written)

    def _typo(self, value: str, said: str) -> Match:
        """A typo's match names the phrase it was taken for."""
        nearest = min(
            (phrase for phrase in self.phrases if self.exact[phrase] == value),
            key=lambda phrase: DamerauLevenshtein.distance(said, phrase),
        )
        return Match(value, how="typo", phrase=self.origin[nearest][1])

    @staticmethod
    def _cut(parsed: Parsed) -> int:
        first = parsed.contexts[0]
        return min((p for p in first.sentence.pauses if p > 0), default=len(first.said))

    def _opening(self, parsed: Parsed) -> str | None:
        """An answer that stands alone before the first comma or full stop: "Not today. I had…", "no, I stopped".

        Taken when nothing after it turns it round ("but", "though") or hedges it ("I don't think so? hard to tell")."""
        if not parsed.contexts:
            return None
        first = parsed.contexts[0]
        cut = self._cut(parsed)
        if cut == len(first.said) and len(parsed.contexts) == 1:
            return None  # one clause: the other readers decide
        opening = first.said[:cut]
        value = self.exact.get(_plain_answer(" ".join(opening)))
        if value is None and 2 <= len(opening) <= 4 and self.exact.get(opening[0]) == NO:
            value = NO  # "no cramps, only the twitches", "No vomiting or runs, no gym, …"
        if value is None or value == NOT_SURE:
            return value
        if tuple(opening) in SOFTENERS and self._mentioned_after(parsed, cut, YES):
            return None  # "a bit, cancelled plans with friends twice": what follows says how much
        if value == NO and self._mentioned_after(parsed, cut, NOT_SURE):
            return None  # "not that I know of, never met my dad's side": what follows says it can't be known
        rest = {word for context in parsed.contexts for word in context.said} - set(first.said[:cut])
        whole = " ".join(word for context in parsed.contexts for word in context.said)
        if rest & (HEDGES | TURNS) or any(phrase in whole for phrase in UNSURE_PHRASES):
            return None
        if value == YES:
            found = {YES: 1}
            self._old_enough(parsed, found, None)  # "yes, calves cramp most nights and I'm 66": the clear cause
            if self.explaining and len(found) == 1:
                # "yes, ever since the doctor put me on a water tablet": the clear cause a choice names, said
                # (and not denied) after the yes
                found = {v: n for v, n in self.mentioned(parsed).items() if v in self.explaining} or found
            return next((v for v in found if v != YES), value)
        return value

    def _mentioned_after(self, parsed: Parsed, after: int, value: str) -> bool:
        """A mention of `value` after the first `after` words of the reply."""
        return any(
            hit.value == value and (index or hit.start >= after)
            for index, context in enumerate(parsed.contexts)
            for hit in self.mentions.find(context.said)
        )

    def _closing(self, parsed: Parsed) -> str | None:
        """An answer drawn as a conclusion after the last comma: "Can still lift a ewe on my own, so no"."""
        if not parsed.contexts:
            return None
        last = parsed.contexts[-1]
        cut = max(last.sentence.pauses, default=0)
        closing = last.said[cut:]
        if len(closing) >= 2 and closing[0] in CONCLUDING:
            return self.exact.get(" ".join(closing[1:]))
        if len(parsed.contexts) > 1 and last.said in _BARE_ANSWERS and not last.sentence.question:
            # "Walks fine. No.": a last sentence that is only a yes or a no, after what it is drawn from
            return self.exact.get(last.said[0])
        # "i can still pull 120kg on deadlift so no": no comma, but "so" and an answer end the reply
        tail = last.said[-3:]
        at = max((i for i, word in enumerate(tail[:-1]) if word in CONCLUDING), default=None)
        return None if at is None else self.exact.get(" ".join(tail[at + 1 :]))

    def _no_then_fine(self, said: str) -> str | None:
        """ "No, breathing and swallowing are fine": a no, then what is fine, is no."""
        if NO not in self.values:
            return None
        head, _, rest = said.partition(" ")
        if self.exact.get(head) != NO or not rest or not set(rest.split()) & ALL_FINE:
            return None
        return NO if not set(rest.split()) & HEDGES else None

    def _leading(self, said: str, parsed: Parsed) -> str | None:
        """A reply that opens with an answer: "No, not really", "yes I have", "Not sure. Maybe a bit".

        The answer must stand apart: followed by a comma or the end of a sentence, or be a plain
        yes/no word followed by a pronoun, a conjunction or more of the same answer. So "no
        trouble breathing" and "I am worried it's ALS" answer nothing.
        """
        first = parsed.contexts[0].sentence if parsed.contexts else None
        for phrase in self.leading:
            if not said.startswith(phrase + " "):
                continue
            value = self.exact[phrase]
            size = len(phrase.split())
            rest = said[len(phrase) + 1 :]
            named_only = _NAME_UNKNOWN.sub(" ", rest)  # "YES … DONT KNOW THE NAME": a doubt about a name only
            # "yes, … for maybe five minutes": a guess at how long, no doubt
            hedged = _AMOUNT_GUESSED.sub(" ", named_only.replace("?", " "))
            if value in (YES, NO) and (set(hedged.split()) & HEDGES or any(h in hedged for h in UNSURE_PHRASES)):
                # "no... well maybe": a hedge after a yes or no is never a firm answer
                return NOT_SURE if NOT_SURE in self.values else None
            if first is not None and (size in first.pauses or len(first.words) == size):
                return value
            if phrase in INTERJECTIONS and (rest.split(" ", 1)[0] in FOLLOWERS or self.exact.get(rest) == value):
                return value
            if value == YES and phrase in AGREEING and not set(named_only.split()) & (TURNS | DENYING):
                return value  # "yes nightly calf cramps for weeks": what follows says what the yes is about
        return None

    def mentioned(
        self,
        parsed: Parsed,
        *,
        account: bool = False,
        where: Callable[[SentenceContext, int], bool] | None = None,
        seen: list[tuple[str, str, bool]] | None = None,
    ) -> dict[str, int]:
        """Choices the text names, with how many times: negated yes-mentions count as "no".

        Long-past mentions ("years ago") say nothing about now; in an account (`account=True`),
        neither do hedged ones ("worried about…"). `where` can keep only mentions in some parts.
        `seen` collects each counted mention as (value it counted for, the mention as written, whether
        it was turned round: a negated or "fine" yes-mention counted as no), for the studio's trace.
        """
        found: dict[str, int] = {}
        fine = 0
        fine_seen: list[tuple[str, str, bool]] = []

        def count(value: str, hit: Found[str], said: tuple[str, ...], turned: bool = False) -> None:
            found[value] = found.get(value, 0) + 1
            if seen is not None:
                seen.append((value, self.mention_words.get((said[hit.start : hit.end], hit.value), ""), turned))

        # "no gym" says nothing about a tummy bug when one question asks about both (`from_account: yes_only`)
        has_no = NO in self.values and self.step.from_account != "yes_only"
        for context in parsed.contexts:
            said = context.said
            hits = list(self.mentions.find(said))
            # A mention inside a longer one means the longer: "shoulder blade" is the back, not the arm.
            hits = [
                hit
                for hit in hits
                if not any(
                    o.start <= hit.start and hit.end <= o.end and o.end - o.start > hit.end - hit.start for o in hits
                )
            ]
            for hit in hits:
                if where is not None and not where(context, hit.start):
                    continue
                # A sign said today is a yes at a safety question, however well the person feels now
                emergency = self.step.kind == StepKind.EMERGENCY
                turned = (
                    _turned_by(context, hit.start, hit.end, fine_now_counts=not emergency)
                    if hit.value == YES and not account
                    else None
                )
                if turned and context.negation(hit.start, hit.end) is not Negation.NONE:
                    turned = None  # "no weak grip, but I still…": the no decides
                if turned == "longstanding" and has_no and self.step.kind == StepKind.RED_FLAG:
                    count(NO, hit, said, True)  # "I cough when I drink but I always have, nothing new"
                    continue
                if hit.value == YES and has_no and hit.start and said[hit.start - 1] in NOTHING_WORDS:
                    count(NO, hit, said, True)  # "nah nothing shrinking": nothing is
                    continue
                if has_no and not account and self.step.kind == StepKind.RED_FLAG and _stopped_since(said, hit.end):
                    count(NO, hit, said, True)  # "when I was pregnant with my youngest, not since": over
                    continue
                if turned == "still" and NOT_SURE in self.values:
                    count(NOT_SURE, hit, said, True)  # "a bit weak but I can still do everything"
                    continue
                if context.has_near(Cue.DISTANT_PAST, hit.start, hit.end):
                    continue  # "…, 3 cups a day like always": a habit, not "lately"
                if account and context.has(Cue.MAYBE, hit.start, hit.end, before_only=True):
                    continue
                if hit.value == YES and (
                    _said_fine(said, hit.end, context.sentence.pauses)
                    or (fine and _so_is(said, hit.start, hit.end))
                    or _fine_with_the_next(said, hit.start, hit.end, context.sentence.pauses)
                ):
                    # "swallowing's fine, breathing fine", "Stiffness nil. Weight stable.", "I swallow well",
                    # "swallowing is normal and so is my breathing": a no, unless something else is a yes (and no
                    # yes where it says nothing of the question's other signs)
                    if not has_no:
                        continue
                    fine += 1
                    fine_seen.append((NO, self.mention_words.get((said[hit.start : hit.end], hit.value), ""), True))
                    continue
                negation = context.negation(hit.start, hit.end)
                if negation is Negation.UNSURE and hit.value != NOT_SURE:
                    continue  # "no coffee, stress": says nothing sure about the second ("no, never met my dad" does)
                if negation is Negation.CLEAR:
                    if hit.value == YES and has_no:
                        count(NO, hit, said, True)
                    continue
                count(hit.value, hit, said)
        if fine and YES not in found:
            found[NO] = found.get(NO, 0) + fine
            if seen is not None:
                seen += fine_seen
        if YES in found and not account:
            self._old_enough(parsed, found, seen)
        return found

    def _old_enough(self, parsed: Parsed, found: dict[str, int], seen: list[tuple[str, str, bool]] | None) -> None:
        """A yes said with an age from which a choice's clear cause holds is that choice too: "I'm 67 and get
        cramps most nights", where cramps over 60 have a clear cause (`from_age`)."""
        if not self.aged:
            return
        # Only the age of the one with the cramps: the writer's, or that of the only person a carer's sentence is
        # about ("He's 84 and gets them most nights"); "most nights, my mum is 70" may not be.
        said = [age for context in parsed.contexts if _ones_own(context.said) for age in ages(context.said)]
        for value, from_age in self.aged:
            if any(age >= from_age for age in said):
                found[value] = found.get(value, 0) + 1
                if seen is not None:
                    seen.append((value, f"over {from_age}", False))

    def _mentioned(self, parsed: Parsed) -> Match:
        seen: list[tuple[str, str, bool]] = []
        values = list(self.mentioned(parsed, seen=seen))
        if not values:
            return NOTHING
        phrases = ", ".join(dict.fromkeys(phrase for _, phrase, _ in seen))
        if len(values) == 1:
            negated = all(flipped for value, _, flipped in seen if value == values[0])
            return Match(values[0], how="negated mention" if negated else "mention", phrase=phrases)
        explaining = [choice.value for choice in self.step.choices if choice.explains and choice.value in values]
        # A yes turned "not sure" by an ordinary reason ("sleepy but I work nights") is still the yes here.
        turned_only = NOT_SURE in values and all(turned for value, _, turned in seen if value == NOT_SURE)
        excused = {NOT_SURE} if turned_only else set()
        kept = set(values) - excused
        if len(explaining) == 1 and explaining[0] in kept <= {YES, explaining[0]} and (YES in kept or excused):
            # "night shifts so yeah sleepy in the day", "sleepy in the day but I work nights": the yes, with the
            # ordinary reason the choice names
            return Match(explaining[0], how="mention", phrase=phrases)
        if set(values) == {YES, NOT_SURE}:
            return Match(NOT_SURE, how="mention", phrase=phrases)  # "tingling in my foot, comes and goes"
        if self.step.combined is not None:
            return Match(self.step.combined, how="combined", phrase=phrases)
        return Match(candidates=tuple(v for v in self.values if v in values), how="mention", phrase=phrases)

    def _quantity(self, parsed: Parsed) -> Match:
        if not self.ranges:
            return NOTHING
        if self.quantity == "age":
            alone = parsed.contexts[0].said if parsed.contexts else ()
            if len(alone) == 1 and alone[0].isdigit() and int(alone[0]) <= len(self.values):
                return NOTHING  # "2" alone is the second button, not an age
            found = [years for context in parsed.contexts for years in ages(context.said)]
            said = {word for context in parsed.contexts for word in context.said}
            if NOT_SURE in self.values and said & ROUGHLY and self._at_a_boundary([y * YEAR for y in found]):
                return Match(NOT_SURE, how="hedge", phrase="roughly")  # "somewhere around 50", where 50 is the line
            return _read_as(self.by_range([years * YEAR for years in found]), found, "years")
        amounts = [amount.days for context in parsed.contexts for amount in durations(context.said)]
        said = {word for context in parsed.contexts for word in context.said}
        whole = " ".join(word for context in parsed.contexts for word in context.said)
        unsure = any(phrase in whole for phrase in UNSURE_PHRASES)
        if amounts and NOT_SURE in self.values and self._either_side(amounts, said, unsure):
            return Match(NOT_SURE, how="hedge", phrase="less or more")
        if amounts and NOT_SURE in self.values and unsure and said & VAGUE_AMOUNTS:
            return Match(NOT_SURE, how="hedge", phrase="for ages")  # "on and off for ages, honestly can't say"
        return _read_as(self.by_range(amounts), amounts, "days")

    def _where_choices_meet(self) -> frozenset[float]:
        """The amounts where one range choice ends and the next begins."""
        return frozenset(span.low for span, _ in self.ranges if span.low > 0)

    def _at_a_boundary(self, amounts: list[float]) -> bool:
        """An amount just where two choices meet: "around 50" could be either side of 50."""
        lines = self._where_choices_meet()
        return bool(amounts) and all(amount in lines for amount in amounts)  # not "in my fifties": 50 to 59

    def _either_side(self, amounts: list[float], said: set[str], unsure: bool = False) -> bool:
        """ "a couple of weeks, maybe a bit less maybe more", "…maybe, or a bit less, I dunno": an amount near
        where two choices meet, said to be possibly on the other side of it, is not sure; so is one said with
        "hard to say" or "not sure" ("couple of weeks maybe, or a bit more, hard to say")."""
        down, up = bool(said & {"less", "under"}), bool(said & {"more", "over"})
        if not (unsure or (down and up) or ((down or up) and said & HEDGES)):
            return False
        meets = self._where_choices_meet()
        return any(
            (low * NEAR[0] <= amount <= low * NEAR[1] or (unsure and up and low * FAR_BELOW <= amount < low))
            and (unsure or (down and up) or (down if amount >= low else up))
            for amount in amounts
            for low in meets
        )

    def by_range(self, amounts: list[float]) -> Match:
        """The choice whose range holds every amount; candidates when they fall in different ones."""
        values = list(dict.fromkeys(value for amount in amounts for span, value in self.ranges if amount in span))
        if not values:
            return NOTHING
        return Match(values[0]) if len(values) == 1 else Match(candidates=tuple(values))

    def _closest(self, said: str, most: int = 2) -> str | None:
        limit = min(most, allowed_typos(said))
        if not limit or len(said.split()) > MAX_TYPO_WORDS:
            return None
        found = process.extract(said, self.phrases, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=4)
        if not found:
            return None
        best = found[0][1]
        values = {self.exact[phrase] for phrase, score, _ in found if score == best}
        return values.pop() if len(values) == 1 else None


_BARE_ANSWERS = frozenset({("no",), ("yes",), ("nope",), ("yep",), ("nah",), ("yeah",)})
"""A sentence of one of these words alone closes a reply with its answer."""


def _read_as(found: Match, amounts: Sequence[float], unit: str) -> Match:
    """A range's match, naming the amounts it read ("3 days")."""
    if found is NOTHING:
        return found
    return replace(found, how="range", phrase=", ".join(f"{amount:g} {unit}" for amount in dict.fromkeys(amounts)))


def _turned_by(context: SentenceContext, start: int, end: int, fine_now_counts: bool = True) -> str | None:
    """What a later part opening with "but" says about a yes said before it: that the trouble is
    longstanding ("…but I always have, nothing new"), or that the person can still manage ("…but I can
    still do everything"); red-flag questions ask about what is new and what stays. Without
    `fine_now_counts` (a safety question about today), "…but I'm alright now" turns nothing."""
    said = context.said
    turns = (i for i in range(end, len(said)) if said[i] in TURNS and said[i - 1 : i + 1] != CONCEDING)
    turn = next(turns, None)
    if turn is None:
        return _added_after(context, end)
    if set(said[:turn]) & HEDGES:
        return None  # "maybe a bit clumsy, but I always have been": the hedge decides (not sure)
    if any(cue.value == Cue.DISTANT_PAST and cue.start > turn for cue in context.cues):
        return "longstanding"
    if "still" in said[turn:]:
        after = said[turn:][said[turn:].index("still") + 1 :][:4]
        if set(after) & MANAGING:
            return "still"  # "…but I can still do everything": not sure
    fine = {word for i, word in enumerate(said[turn:], turn) if said[i - 1] != "a"}  # not "a good 8 hours"
    if fine_now_counts and fine & ALL_FINE:
        return "still"  # "it feels weak but when I test it it's fine": not sure either
    if set(said[turn:]) & EXCUSES:
        return "still"  # "sleepy yes but I've got a newborn": an ordinary reason, so not sure
    if _unnoticed(said[turn:]):
        return "still"  # "my wife says I shuffle more but I haven't noticed": not sure
    return None


def _added_after(context: SentenceContext, end: int) -> str | None:
    """`_turned_by` without a "but": a later part, after a comma, that opens by saying the trouble is old
    ("I'm clumsy anyway, always have been, nothing new") or that the writer has not noticed it ("wife says I
    shuffle, I don't notice it")."""
    said = context.said
    parts = sorted(pause for pause in context.sentence.pauses if pause >= end)
    if any(cue.value == Cue.DISTANT_PAST and cue.start in parts for cue in context.cues):
        return "longstanding"
    if set(said[:end]) & HEDGES:
        return None
    return "still" if parts and _unnoticed(said[parts[0] :]) else None


FINE_RIGHT_AFTER = frozenset({"well", "normally", "properly", "fine"})
"""Said right after a sign, these say it is fine ("I swallow well"); a word later they may not ("weak as well")."""


def _said_fine(said: Sequence[str], end: int, pauses: frozenset[int]) -> bool:
    """The words right after a yes-mention say it is fine: "swallowing's fine", "weight stable", "I swallow well"
    (not "swallowing, well, it's hard": after a comma "well" is a pause word)."""
    if NOTHING_THERE.intersection(said[end : end + 2]):
        return True
    return end < len(said) and said[end] in FINE_RIGHT_AFTER and end not in pauses


def _fine_with_the_next(said: Sequence[str], start: int, end: int, pauses: frozenset[int]) -> bool:
    """A bare sign joined to the next thing named, both said to be fine: "breathing and eating all fine". Not a
    sign said with its trouble ("trouble breathing and eating fine" is a yes), nor one denied before the fine."""
    if end >= len(said) or said[end] not in LIST_JOINERS or not TROUBLE.isdisjoint(said[max(0, start - 2) : end]):
        return False
    for at in range(end + 1, min(len(said), end + 5)):
        if at in pauses or said[at] in DENYING or said[at] in TROUBLE:
            return False
        if said[at] in NOTHING_THERE:
            return True
    return False


LIST_JOINERS = frozenset({"and", "an", "n", "or", "nor"})
NOTHING_WORDS = frozenset({"nothing", "nowt", "nothin", "naught", "nought"})
"""Right before a sign, these say there is none of it: "nothing shrinking"."""
TROUBLE = frozenset(
    {"trouble", "difficulty", "difficult", "hard", "cant", "cannot", "problem", "problems", "struggling", "issue"}
    | {"issues", "bad", "worse", "short", "painful", "pain"}
)
"""Words that say a sign is there: a mention with one of them is never made fine by what follows it."""


def _so_is(said: Sequence[str], start: int, end: int) -> bool:
    """A mention that takes the "fine" before it: "swallowing is normal and so is my breathing", "swallowing is
    okay, breathing also"."""
    before = said[max(0, start - 3) : start]
    if any(word == "so" and nxt in SO_VERBS for word, nxt in zip(before, before[1:], strict=False)):
        return True
    return said[end : end + 1] in (("also",), ("too",)) or said[end : end + 2] == ("as", "well")


SO_VERBS = frozenset({"is", "are", "was", "were", "does", "do", "did"})


_SOMEONE_ELSE = OTHERS - {"they"}  # "they come most nights" are the cramps
_HE_OR_SHE = frozenset({"he", "hes", "she", "shes"})
_WRITER = frozenset({"i", "im", "ive", "id", "me", "my", "mine"})


def _ones_own(said: Sequence[str]) -> bool:
    """Whether an age in these words is that of the one the answer is about: no one else is named, or the
    sentence opens with "he" or "she", names no one else and not the writer (a carer typing for someone)."""
    named = _SOMEONE_ELSE.intersection(said)
    if not named:
        return True
    return bool(said) and said[0] in _HE_OR_SHE and named <= _HE_OR_SHE and _WRITER.isdisjoint(said)


def _stopped_since(said: Sequence[str], end: int) -> bool:
    """A later part says the trouble ended: "a weak grip after the op, but not since", "…, not any more".
    Red-flag questions ask about what stays or keeps coming back, so it is a no there."""
    later = " ".join(said[end:])
    return any(later.endswith(phrase) for phrase in STOPPED)


def _unnoticed(said: Sequence[str]) -> bool:
    """The writer says they have not noticed it themselves."""
    text = " ".join(said)
    return any(phrase in text for phrase in UNNOTICED)


def _plain_answer(said: str) -> str:
    """Asides dropped and a word said twice said once: "nope nope" → "nope", "no ma'am" → "no"; a yes
    said "a bit" is a yes ("a bit yeah")."""
    kept: list[str] = []
    for word in said.split():
        if word not in ASIDES and (not kept or kept[-1] != word):
            kept.append(word)
    for size in (2, 1):
        if tuple(kept[:size]) in SOFTENERS and kept[size : size + 1] and kept[size] in AGREEING:
            kept = kept[size:]
    return " ".join(kept)


def _asks_back(parsed: Parsed) -> bool:
    """The reply asks a question of its own ("what counts as trouble breathing?", "2 cans a day, is that a
    lot?"): a question whose last part opens with a question word. It is asked about, not taken as an answer."""
    for context in parsed.contexts:
        sentence = context.sentence
        words = sentence.words
        while words and words[0] in OPENING_FILLERS:
            words = words[1:]  # "hmm what counts as right now?"
        if any(words[:size] in ASKING_OPENINGS for size in (1, 2, 3, 4)):
            return True  # "what do you mean by sudden weakness", with or without a question mark
        if sentence.words[-2:] == ("you", "mean"):
            return True  # "what kind of dent do you mean"
        if sentence.question and "as in" in " ".join(sentence.words):
            return True  # "hard to swallow as in tablets or as in food?"
        if not sentence.question:
            continue
        cuts = sorted({0, len(sentence.words), *sentence.pauses})
        parts = [sentence.words[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
        if any(part and part[-1] in ASKING and len(part) <= 3 for part in parts):
            return True  # "spreading how?", "weak how, like can't lift the kettle?"
        if parts and 2 <= len(parts[0]) <= 4 and not ASKING_AFTER.isdisjoint(parts[0][1:]):
            return True  # "spreading how fast? days or weeks?", "hard to breathe how, like during a race?"
        if sentence.words[:1] == ("like",) and sentence.words[1:2] and sentence.words[1] in LIKE_WHAT:
            return True  # "a dent? like a bruise?": asking what the question means
        start = max((p for p in sentence.pauses if p < len(sentence.words)), default=0)
        part = sentence.words[start:]
        if len(part) >= 3 and part[0] in ASKING:
            return True
    return False


def _trim(said: str) -> str:
    """Drop politeness and lead-ins around an answer: "option 2 please" → "2"."""
    for start in _FILLER_START:
        if said.startswith(start):
            said = said[len(start) :]
    for end in _FILLER_END:
        if said.endswith(end):
            said = said[: -len(end)]
    return said.strip()
