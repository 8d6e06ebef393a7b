"""Logs never carry the token or message texts, whatever the level or library."""

import io
import json
import logging

import pytest

from bot.logs import log_event, setup_logging

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.fixture
def captured() -> io.StringIO:
    stream = io.StringIO()
    handler = setup_logging("DEBUG", "text", secrets=(TOKEN,), stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)


def test_token_in_a_library_url_is_redacted_at_debug(captured: io.StringIO) -> None:
    logging.getLogger("httpx").debug("HTTP Request: POST %s", f"https://api.telegram.org/bot{TOKEN}/getMe")
    assert TOKEN not in captured.getvalue()
    assert "<redacted>" in captured.getvalue()


def test_token_in_a_traceback_is_redacted(captured: io.StringIO) -> None:
    try:
        raise RuntimeError(f"failed for https://api.telegram.org/bot{TOKEN}/sendMessage")
    except RuntimeError:
        logging.getLogger("telegram.ext").exception("boom")
    assert TOKEN not in captured.getvalue()


def test_library_payloads_with_message_text_are_hidden(captured: io.StringIO) -> None:
    logging.getLogger("telegram.Bot").debug(
        "Calling Bot API endpoint `%s` with parameters `%s`",
        "sendMessage",
        {"chat_id": 1, "text": "my private symptoms"},
    )
    out = captured.getvalue()
    assert "my private symptoms" not in out
    assert "sendMessage" in out


def test_json_format_gives_one_object_per_line_with_event_fields() -> None:
    stream = io.StringIO()
    handler = setup_logging("INFO", "json", secrets=(TOKEN,), stream=stream)
    try:
        log_event(logging.getLogger("twitchcheck"), "outcome", user="abc123", level="urgent")
        log_event(logging.getLogger("twitchcheck"), "conversation_started", user="abc123", flow="twitching")
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["outcome", "conversation_started"]
    assert lines[0]["severity"] == "info"
    assert lines[0]["level"] == "urgent"
    assert lines[0]["user"] == "abc123"
