"""Logs never carry the token or message texts, whatever the level or library."""

import io
import json
import logging

import pytest

from bot.logs import failure_line, log_event, setup_logging

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


def test_the_token_s_secret_half_is_redacted_on_its_own(captured: io.StringIO) -> None:
    secret_half = TOKEN.split(":")[1]
    logging.getLogger("telegram.ext").error("token %s rejected", secret_half)
    assert secret_half not in captured.getvalue()


@pytest.mark.parametrize(
    "url",
    ["redis://:hunter2@redis.internal:6379/0", "rediss://bot:hunter2@redis:6380/1", "redis://h/0?password=hunter2"],
)
def test_a_password_in_a_url_is_redacted_whatever_it_is(url: str, captured: io.StringIO) -> None:
    logging.getLogger("twitchcheck").warning("cannot open %s", url)
    line = captured.getvalue()
    assert "hunter2" not in line and "<redacted>" in line
    assert "redis" in line  # the rest of the URL stays readable


def test_transitions_says_nothing_below_warning() -> None:
    stream = io.StringIO()
    handler = setup_logging("INFO", "text", stream=stream)
    try:
        logging.getLogger("transitions.core").info("Finished processing state emergency_now exit callbacks.")
        logging.getLogger("transitions.core").warning("a real problem")
    finally:
        logging.getLogger().removeHandler(handler)
    assert "Finished processing" not in stream.getvalue()
    assert "a real problem" in stream.getvalue()


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_library_traceback_is_one_line_below_debug(fmt: str) -> None:
    stream = io.StringIO()
    handler = setup_logging("INFO", fmt, secrets=(TOKEN,), stream=stream)
    try:
        try:
            raise ValueError(f"Expecting value: line 1 column 1 for bot{TOKEN}")
        except ValueError:
            logging.getLogger("telegram.request.BaseRequest").exception("Can not load invalid JSON data: %r", "<html>")
    finally:
        logging.getLogger().removeHandler(handler)
    out = stream.getvalue()
    assert out.count("\n") == 1 and "Traceback" not in out, out
    assert "ValueError: Expecting value" in out and TOKEN not in out


def test_a_traceback_stays_whole_at_debug(captured: io.StringIO) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("telegram.ext").exception("failed")
    assert "Traceback (most recent call last)" in captured.getvalue()


def test_a_failure_line_is_one_redacted_line_in_either_format() -> None:
    message = f"rejected bot{TOKEN}\n  at redis://:hunter2@host/0"
    text = failure_line(message, "text", (TOKEN,), 2)
    assert text.startswith("error: rejected bot<redacted>") and "\n" not in text and "hunter2" not in text
    data = json.loads(failure_line(message, "json", (TOKEN,), 75))
    assert data["event"] == "startup_failed" and data["severity"] == "error" and data["exit"] == 75
    assert TOKEN not in data["msg"] and "hunter2" not in data["msg"]
