"""Problems found in flow and content files, each telling the maintainer where and how to fix it.

FlowProblem                     file:line: what is wrong; how to fix it
├── YamlSyntaxError             the file is not valid YAML (line and column)
├── ShapeError                  a key is missing, unknown or of the wrong type
├── DuplicateIdError            two steps, outcomes, excerpts or choices share an id
├── UnknownTargetError          a choice or rule points at nothing
├── MissingContentError         a text, excerpt or source reference does not resolve
├── ButtonLabelTooLongError     a label over Telegram's 64-byte limit
├── TextTooLongError            a text over Telegram's 4096-character limit
├── DeadEndError                a choice or routing list with no catch-all exit
├── FlagValueError              a red-flag question with answers other than yes/no/not_sure
├── SharedWordsError            one synonym or mention for two choices of one question
├── RangeError                  quantity ranges that overlap, leave a gap or don't parse
├── LanguageError               an emergency concept or cue that cannot work as written
├── UnreachableStepError        a step no path reaches            (twitchcheck check)
├── EndlessLoopError            a step from which no outcome can be reached (check)
├── UnsafeRouteError            a path breaks the safety invariant (check)
├── SkippedFlagsError           a path ends below 🔴 without asking every flag (check)
├── UnusedExcerptError          an excerpt nothing shows (a warning)
├── AccountLeakWarning          a follow-up question that accounts can answer (a warning)
└── NoFlowsError                a flows folder with no flow in it
"""

from __future__ import annotations


class FlowProblem(Exception):
    """One problem, located; `str()` gives `file:line: what; fix`."""

    warning = False

    def __init__(self, source: str, line: int, what: str, fix: str, column: int | None = None) -> None:
        self.source = source
        self.line = line
        self.column = column
        self.what = what
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" + (f":{self.column}" if self.column else "")
        return f"{where}: {self.what}; {self.fix}"


class YamlSyntaxError(FlowProblem):
    pass


class ShapeError(FlowProblem):
    pass


class DuplicateIdError(FlowProblem):
    pass


class UnknownTargetError(FlowProblem):
    pass


class MissingContentError(FlowProblem):
    pass


class ButtonLabelTooLongError(FlowProblem):
    pass


class TextTooLongError(FlowProblem):
    pass


class DeadEndError(FlowProblem):
    pass


class FlagValueError(FlowProblem):
    pass


class SharedWordsError(FlowProblem):
    pass


class RangeError(FlowProblem):
    pass


class LanguageError(FlowProblem):
    pass


class UnreachableStepError(FlowProblem):
    pass


class EndlessLoopError(FlowProblem):
    pass


class UnsafeRouteError(FlowProblem):
    pass


class SkippedFlagsError(FlowProblem):
    """The coverage invariant: `skipped` names the flag steps the counter-example never asks."""

    def __init__(self, source: str, line: int, what: str, fix: str, skipped: tuple[str, ...] = ()) -> None:
        self.skipped = skipped
        super().__init__(source, line, what, fix)


class UnusedExcerptError(FlowProblem):
    warning = True


class AccountLeakWarning(FlowProblem):
    warning = True


class NoFlowsError(FlowProblem):
    pass


class FlowErrors(Exception):
    """Every problem found in one go, so a maintainer fixes them all in one pass."""

    def __init__(self, problems: list[FlowProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))
