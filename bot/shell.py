"""`twitchcheck shell`: the whole check in a terminal, no token needed; also works with piped stdin.

The shell speaks as a terminal does: `shell.*` texts replace the Telegram wording of `ui.*`
(no buttons to tap, nothing stored, only the commands below).

After a 🟠 or 🔴 outcome the shell reads one more line, tty or pipe alike: `summary` prints the
summary for the doctor (Telegram's button), anything else, an empty line or the end of input finishes.
"""

from __future__ import annotations

import re
import sys
from datetime import date
from typing import Any, TextIO

from bot.content.library import Content
from bot.content.render import PLAIN, Message, Renderer
from bot.content.summary import extra_message
from bot.engine.engine import Engine
from bot.engine.replies import COMMANDS, Typed
from bot.session import Session, Turn, now

TEXTS = "shell"
"""The content section whose texts replace `ui.*` ones in the shell."""

KEY = "shell"
"""The one conversation the shell holds, in its session's memory store."""
QUIT = {"/quit", "quit", "exit", "/exit", "/cancel"}
HELP = {"/help", "help"}
SUMMARY = {"summary", "/summary"}
SLASH_COMMAND = re.compile(r"/[A-Za-z]\w*(?:@\w+)?")
"""A word shaped like a Telegram command (/forget, /start@TwitchCheckBot): never an answer here."""
TAP = re.compile(r"\b([Tt])ap\b")
"""Flow questions are written for Telegram ("Or tap Skip"); in the shell a choice is typed."""


def _show(message: Message, out: TextIO) -> None:
    out.write(message.text + "\n")
    buttons = [button for row in message.buttons for button in row]
    for number, button in enumerate(buttons, start=1):
        out.write(f"  {number}) {button.label}\n")
    out.write("\n")


def _for_the_shell(message: Message) -> Message:
    """A question typed rather than tapped; a result without its Telegram-only buttons."""
    if message.step is None:
        return Message(message.text)
    text = TAP.sub(lambda match: "Type" if match.group(1) == "T" else "type", message.text)
    return Message(text, message.buttons, message.step)


def _read(stdin: TextIO, stdout: TextIO) -> str:
    """One line typed, with a prompt on a terminal; "" at the end of input."""
    if stdin.isatty():
        stdout.write("> ")
        stdout.flush()
    return stdin.readline()


def run_shell(
    engine: Engine, content: Content, flow_id: str | None = None, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> int:
    """Hold one conversation on stdin/stdout; return the exit code (0 at the outcome or at EOF)."""
    renderer = Renderer(content, PLAIN, texts=TEXTS)
    session: Session[None, Any] = Session(engine)
    turn = now(session.start(KEY, flow_id))
    try:
        while True:
            if turn.started and turn.welcome:
                stdout.write(renderer.text("ui.welcome") + "\n\n")
            for message in renderer.render_all(turn.replies):
                _show(_for_the_shell(message), stdout)
            finished = session.finished(turn.conversation, "summary")
            if finished is not None:
                summary = extra_message(
                    renderer,
                    finished.kind,
                    finished.flow,
                    finished.conversation,
                    finished.result,
                    date.today().isoformat(),
                )
                if summary is not None:
                    stdout.write(renderer.text("shell.summary_offer") + "\n")
                    if _read(stdin, stdout).strip().lower() in SUMMARY:
                        _show(summary, stdout)
                return 0
            line = _read(stdin, stdout)
            if not line:
                stdout.write("\n" + renderer.text("shell.end_of_input") + "\n")
                return 0
            text = line.strip()
            word = text.lower()
            first = text.split()[0] if text else ""
            if word in QUIT:
                stdout.write(renderer.text("shell.stopped") + "\n")
                return 0
            if word in HELP:
                stdout.write(renderer.text("ui.help") + "\n\n")
                turn = Turn(turn.conversation, session.current(turn.conversation), changed=False)
                continue
            if SLASH_COMMAND.fullmatch(first) and first.lower() not in (*COMMANDS, *QUIT):
                stdout.write(renderer.text("shell.unknown_command", command=first) + "\n\n")
                turn = Turn(turn.conversation, session.current(turn.conversation), changed=False)
                continue
            turn = now(session.handle(KEY, Typed(text)))
    except KeyboardInterrupt:
        stdout.write("\n" + renderer.text("shell.interrupted") + "\n")
        return 130
