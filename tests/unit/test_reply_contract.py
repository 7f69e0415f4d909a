"""The reply contract between the bot and its front ends (bot/channels/contract.py, no Rasa)."""

from __future__ import annotations

import uuid

import pytest

from bot.channels.contract import (
    MAX_MESSAGE_CHARS,
    is_session_id,
    parse_origins,
    reply_of,
    user_text,
)

YES_NO = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]


def test_a_random_uuid_as_the_browser_makes_it_is_a_session_id() -> None:
    assert is_session_id(str(uuid.uuid4()))


@pytest.mark.parametrize(
    "value",
    [
        uuid.uuid4().hex,
        str(uuid.uuid1()),
        str(uuid.uuid4()).upper(),
        None,
        12345,
        "../x",
        "",
        f"{uuid.uuid4()}\n",
    ],
    ids=["no-hyphens", "uuid1", "upper-case", "none", "int", "path", "empty", "newline"],
)
def test_anything_but_a_canonical_uuid4_is_refused_as_a_session_id(value: object) -> None:
    assert not is_session_id(value)


@pytest.mark.parametrize(
    "raw",
    [
        "https://a.example/, http://localhost:8000 ,",
        ["https://a.example/", " http://localhost:8000 ", ""],
        ("https://a.example", "http://localhost:8000/"),
    ],
    ids=["comma-string", "list", "tuple"],
)
def test_origins_are_parsed_without_spaces_or_trailing_slashes(raw: object) -> None:
    assert parse_origins(raw) == ["https://a.example", "http://localhost:8000"]


@pytest.mark.parametrize("raw", ["", "  ", None, [], ", ,"])
def test_no_origins_parse_to_an_empty_list(raw: object) -> None:
    assert parse_origins(raw) == []


def test_a_plain_message_is_only_its_text() -> None:
    assert reply_of({"text": "Hello", "buttons": [], "custom": {}, "image": None}) == {
        "text": "Hello"
    }


@pytest.mark.parametrize("key", ["buttons", "quick_replies"])
def test_buttons_and_quick_replies_become_title_and_payload_only(key: str) -> None:
    raw = [
        {"title": "Yes", "payload": "/affirm", "type": "postback"},
        {"title": "No", "payload": "/deny"},
    ]
    assert reply_of({"text": "Go ahead?", key: raw}) == {"text": "Go ahead?", "buttons": YES_NO}


def test_kestrel_data_of_the_action_and_of_the_event_metadata_are_merged() -> None:
    # BotUttered.message(): the action's custom data, then the event's metadata at the top level.
    message = {
        "text": "Your case reference is KM-1001.",
        "custom": {"kestrel": {"state": "handoff", "case": "KM-1001"}},
        "kestrel": {"channel": "console"},
        "timestamp": 1.0,
    }
    assert reply_of(message) == {
        "text": "Your case reference is KM-1001.",
        "kestrel": {"state": "handoff", "case": "KM-1001", "channel": "console"},
        "time": 1.0,
    }


def test_a_numeric_timestamp_is_the_replys_time() -> None:
    assert reply_of({"text": "Hi", "timestamp": 1764644400})["time"] == 1764644400.0


@pytest.mark.parametrize("timestamp", [None, "1764644400", True])
def test_a_timestamp_that_is_not_a_number_gives_no_time(timestamp: object) -> None:
    assert reply_of({"text": "Hi", "timestamp": timestamp}) == {"text": "Hi"}


def test_other_custom_data_is_kept_under_custom_and_not_mixed_into_kestrel() -> None:
    message = {"text": "Hi", "custom": {"kestrel": {"expects": "pin"}, "map": {"zoom": 3}}}
    assert reply_of(message) == {
        "text": "Hi",
        "kestrel": {"expects": "pin"},
        "custom": {"map": {"zoom": 3}},
    }


def test_a_message_with_markup_keeps_its_text_verbatim() -> None:
    text = '<img src=x onerror="alert(1)"> & <b>bold</b>'
    assert reply_of({"text": text}) == {"text": text}


def test_a_message_without_text_has_an_empty_text() -> None:
    assert reply_of({"text": None, "image": "https://x.example/a.png"}) == {"text": ""}


@pytest.mark.parametrize(
    "data",
    [
        "hello",
        ["hello"],
        None,
        {},
        {"message": None},
        {"message": 42},
        {"message": ""},
        {"message": " \n\t"},
        {"message": "x" * (MAX_MESSAGE_CHARS + 1)},
    ],
    ids=["str", "list", "none", "missing", "null", "int", "empty", "blank", "too-long"],
)
def test_an_unusable_user_payload_has_no_text(data: object) -> None:
    assert user_text(data) is None


@pytest.mark.parametrize("text", ["my balance please", "x" * MAX_MESSAGE_CHARS, " hi "])
def test_a_usable_user_payload_gives_its_text_unchanged(text: str) -> None:
    assert user_text({"message": text, "session_id": "s"}) == text


def test_the_message_limit_is_two_thousand_characters() -> None:
    assert MAX_MESSAGE_CHARS == 2000
