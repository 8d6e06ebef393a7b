"""`twitchcheck shell`: the whole check in a terminal, no token needed; also works with piped stdin."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.content.library import Content
from bot.content.render import PLAIN, Message, Renderer
from bot.engine.engine import Engine
from bot.engine.replies import Command, Input, Typed

COMMANDS = {"/back": Command.BACK, "/restart": Command.RESTART}
"""Slash commands; "back" and "restart" typed alone go to the engine, which reads them as commands
unless they answer the question on screen ("back" is a place at "Where is the twitching?")."""
QUIT = {"/quit", "quit", "exit", "/exit", "/cancel"}


def _show(message: Message, out: TextIO) -> None:
    out.write(message.text + "\n")
    buttons = [button for row in message.buttons for button in row]
    for number, button in enumerate(buttons, start=1):
        out.write(f"  {number}) {button.label}\n")
    out.write("\n")


def run_shell(
    engine: Engine, content: Content, flow_id: str | None = None, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> int:
    """Hold one conversation on stdin/stdout; return the exit code (0 at the outcome or at EOF)."""
    renderer = Renderer(content, PLAIN)
    conversation, replies = engine.start(flow_id or engine.default_flow)
    stdout.write(content.text("ui.welcome") + "\n\n")
    try:
        while True:
            for message in renderer.render_all(replies):
                if message.step is None and message.buttons:
                    message = Message(message.text)  # result buttons are Telegram-only
                _show(message, stdout)
            if engine.flows[conversation.flow_id].is_outcome(conversation.step):
                return 0
            if stdin.isatty():
                stdout.write("> ")
                stdout.flush()
            line = stdin.readline()
            if not line:
                stdout.write(
                    "\nEnd of input: the check stopped before the end. Run `twitchcheck shell` to start again.\n"
                )
                return 0
            text = line.strip()
            if text.lower() in QUIT:
                stdout.write("Check stopped. Nothing was saved.\n")
                return 0
            if text.lower() in ("/help", "help"):
                stdout.write(content.text("ui.help") + "\n\n")
                replies = engine.current(conversation)
                continue
            given: Input = COMMANDS.get(text.lower(), Typed(text))
            conversation, replies = engine.advance(conversation, given)
    except KeyboardInterrupt:
        stdout.write("\nCheck stopped (Ctrl-C). Nothing was saved.\n")
        return 130
