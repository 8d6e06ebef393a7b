"""The shape of a flow file, checked before any meaning: unknown keys (typos) are refused."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

Text = str
"""Literal text, or `@key` to take the text from content/ (`@@` escapes a leading @)."""

ConditionSpec = dict[str, Any]
"""`{key: value}`, `{key: [values]}`, `{any: [...]}`, `{all: [...]}` or `{not: {...}}`; parsed in conditions.py."""


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class BranchSpec(_Spec):
    to: str
    when: ConditionSpec | None = None


Next = str | list[BranchSpec]


class RangeSpec(_Spec):
    """`{from: 0 days, below: 2 weeks}`: amounts from `from` (included) up to `below` (excluded)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
    start: str | float = Field(alias="from")
    below: str | float | None = None


class ChoiceSpec(_Spec):
    label: Text
    value: str | None = Field(default=None, description="what the answer records; defaults to the label in snake_case")
    next: Next | None = None
    synonyms: list[str] = []
    mentions: list[str] = []
    range: RangeSpec | None = None
    from_age: int | None = Field(
        default=None,
        description="with `explains`: a yes said with an age from this one is this choice ('I'm 67, most nights')",
    )
    explains: bool = Field(
        default=False,
        description="on a red-flag step: a yes with a clear, common cause; check proves it never ends below routine",
    )


class VariantSpec(_Spec):
    """`{when: {who: child}, text: "@questions.child.weakness"}`: the question's words when `when` holds."""

    when: ConditionSpec
    text: Text


class StepSpec(_Spec):
    id: str
    text: Text
    variants: list[VariantSpec] = []
    required: bool = False
    records: str | None = None
    topic: Text | None = None
    choices: list[ChoiceSpec] = Field(min_length=1)
    next: Next | None = None
    kind: Literal["question", "red_flag", "emergency", "account"] = "question"
    quantity: Literal["duration", "age"] | None = None
    combined: str | None = None
    symptom_words: list[str] = []
    from_account: Literal["any", "yes_only", "never"] = "any"


class RuleSpec(_Spec):
    outcome: str
    when: ConditionSpec | None = None
    why: str = Field(default="", description="why the rule exists, and its source; `twitchcheck docs` prints it")


class InterruptSpec(_Spec):
    id: str
    outcome: str
    phrases: list[str] = []
    patterns: list[str] = []
    unclear: list[str] = []
    unclear_patterns: list[str] = []
    unless: list[str] = []


class CuesSpec(_Spec):
    negation: list[str] = []
    not_negation: list[str] = []
    distant_past: list[str] = []
    recent_past: list[str] = []
    now: list[str] = []
    maybe: list[str] = []
    boundary: list[str] = []
    elsewhere: list[str] = []
    passed: list[str] = []
    topic: list[str] = []
    before_today: list[str] = []
    irrealis: list[str] = []
    setting: list[str] = []
    tone: list[str] = []


class PromptsSpec(_Spec):
    emergency_confirm: Text = "@questions.emergency_confirm"
    account_review: Text = "@questions.account_review"


class ExcerptRuleSpec(_Spec):
    excerpt: str
    when: ConditionSpec | None = None


class NoteSpec(_Spec):
    text: Text
    when: ConditionSpec | None = None


class OutcomeSpec(_Spec):
    id: str
    level: Literal["emergency", "urgent", "routine", "self_care"]
    title: Text
    recommendation: Text
    watch_for: Text
    tips: Text | None = None
    notes: list[NoteSpec] = []
    excerpts: list[ExcerptRuleSpec] = []
    sources: list[str] = []


class FlowSpec(_Spec):
    flow: str
    title: str
    start: str
    steps: list[StepSpec] = Field(min_length=1)
    routing: list[RuleSpec] = Field(min_length=1)
    outcomes: list[OutcomeSpec] = Field(min_length=1)
    interrupts: list[InterruptSpec] = []
    cues: CuesSpec = CuesSpec()
    synonyms: dict[str, list[str]] = {}
    prompts: PromptsSpec = PromptsSpec()
    excerpts: list[ExcerptRuleSpec] = []
    max_excerpts: StrictInt = Field(default=4, ge=0, le=10)

    def referenced_content(self) -> list[tuple[tuple[Any, ...], str]]:
        """Every `@key` text reference with its path, for the content check."""
        found: list[tuple[tuple[Any, ...], str]] = []

        def visit(node: Any, path: tuple[Any, ...]) -> None:
            if isinstance(node, str):
                if node.startswith("@") and not node.startswith("@@"):
                    found.append((path, node[1:]))
            elif isinstance(node, BaseModel):
                for name in type(node).model_fields:
                    visit(getattr(node, name), (*path, name))
            elif isinstance(node, list):
                for index, item in enumerate(node):
                    visit(item, (*path, index))

        visit(self, ())
        return found
