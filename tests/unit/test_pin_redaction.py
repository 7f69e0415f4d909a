"""PINs are never kept: bot/redaction.py removes them from tracker events before storage."""

import copy
import json

from bot.redaction import REDACTED, looks_like_a_pin, redact_events


def user(text, intent="inform", entities=None):
    return {
        "event": "user",
        "timestamp": 1.0,
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": 0.9},
            "entities": entities or [],
            "intent_ranking": [{"name": intent, "confidence": 0.9}],
        },
        "input_channel": "rest",
        "message_id": "m1",
        "metadata": {},
    }


def slot(name, value):
    return {"event": "slot", "timestamp": 1.0, "name": name, "value": value}


def loop(name):
    return {"event": "active_loop", "timestamp": 1.0, "name": name}


def bot(text):
    return {"event": "bot", "timestamp": 1.0, "text": text}


def asking_for(slot_name):
    return [loop("verify_form"), slot("requested_slot", slot_name), bot("please answer")]


def test_a_pin_slot_event_is_stored_without_its_value():
    [event] = redact_events([slot("pin", "4321")])
    assert event["value"] is None
    assert event["name"] == "pin"


def test_other_slot_events_keep_their_values():
    [event] = redact_events([slot("identifier", "100001")])
    assert event["value"] == "100001"


def test_the_answer_to_the_pin_question_is_redacted_whatever_it_looks_like():
    events = [*asking_for("pin"), user("it is nine nine nine nine")]
    answer = redact_events(events)[-1]
    assert answer["text"] == REDACTED
    assert answer["parse_data"]["text"] == REDACTED


def test_the_intent_of_a_redacted_message_is_kept_for_analytics():
    events = [*asking_for("pin"), user("4321", intent="inform")]
    assert redact_events(events)[-1]["parse_data"]["intent"]["name"] == "inform"


def test_entity_values_of_a_redacted_message_are_replaced():
    entity = {"entity": "pin", "value": "4321", "start": 0, "end": 4}
    events = [*asking_for("pin"), user("pin 4321", entities=[entity])]
    [redacted_entity] = redact_events(events)[-1]["parse_data"]["entities"]
    assert redacted_entity["value"] == REDACTED
    assert redacted_entity["entity"] == "pin"


def test_the_answer_to_the_identifier_question_is_kept():
    events = [*asking_for("identifier"), user("555 010 0001")]
    assert redact_events(events)[-1]["text"] == "555 010 0001"


def test_redaction_stops_once_the_form_asks_for_something_else():
    events = [
        *asking_for("pin"),
        user("1234"),
        slot("requested_slot", "identifier"),
        user("my account is 100002"),
    ]
    assert redact_events(events)[-1]["text"] == "my account is 100002"


def test_redaction_stops_when_the_form_is_deactivated():
    events = [*asking_for("pin"), user("agent please"), loop(None), user("what is my balance")]
    redacted = redact_events(events)
    assert redacted[-3]["text"] == REDACTED
    assert redacted[-1]["text"] == "what is my balance"


def test_redaction_stops_at_a_new_session():
    events = [*asking_for("pin"), {"event": "session_started"}, user("hello")]
    assert redact_events(events)[-1]["text"] == "hello"


def test_every_message_while_the_pin_is_asked_is_redacted_until_requested_slot_changes():
    events = [*asking_for("pin"), user("5555"), bot("wrong PIN, try again"), user("4321")]
    redacted = redact_events(events)
    assert redacted[3]["text"] == REDACTED
    assert redacted[5]["text"] == REDACTED


def test_a_bare_four_digit_message_is_redacted_even_outside_the_form():
    assert redact_events([user("4321")])[0]["text"] == REDACTED
    assert redact_events([user(" 43-21 ")])[0]["text"] == REDACTED


def test_a_message_that_names_a_pin_with_four_digits_is_redacted_outside_the_form():
    assert redact_events([user("my pin is 8765")])[0]["text"] == REDACTED


def test_account_and_phone_numbers_outside_the_form_are_kept():
    for text in ["100001", "+1 (555) 010-0004", "my account is 100003", "I forgot my pin"]:
        assert redact_events([user(text)])[0]["text"] == text


def test_no_pin_survives_anywhere_in_the_serialised_events():
    events = [
        *asking_for("pin"),
        user("4321"),
        slot("pin", "4321"),
        slot("pin", None),
        slot("requested_slot", None),
        loop(None),
    ]
    assert "4321" not in json.dumps(redact_events(events))


def test_the_input_events_are_not_modified():
    events = [*asking_for("pin"), user("4321"), slot("pin", "4321")]
    before = copy.deepcopy(events)
    redact_events(events)
    assert events == before


def test_events_keep_their_order_and_number():
    events = [*asking_for("pin"), user("4321"), slot("pin", "4321")]
    redacted = redact_events(events)
    assert [e["event"] for e in redacted] == [e["event"] for e in events]


def test_looks_like_a_pin_ignores_longer_numbers_and_plain_words():
    assert looks_like_a_pin("2468")
    assert not looks_like_a_pin("100001")
    assert not looks_like_a_pin("5550100001")
    assert not looks_like_a_pin("")
    assert not looks_like_a_pin(None)


def test_a_bot_message_that_echoes_the_pin_of_the_same_turn_is_scrubbed():
    events = [*asking_for("pin"), user("4321"), slot("pin", "4321"), bot("PIN 4321 accepted")]
    assert redact_events(events)[-1]["text"] == f"PIN {REDACTED} accepted"


def test_scrubbing_a_known_pin_leaves_longer_numbers_alone():
    events = [slot("pin", "0001"), bot("your account 100001 is verified")]
    assert redact_events(events)[-1]["text"] == "your account 100001 is verified"


def test_redact_events_accepts_any_iterable_of_events():
    events = iter([*asking_for("pin"), user("4321"), slot("pin", "4321")])
    assert "4321" not in json.dumps(redact_events(events))


def test_the_digits_of_a_wordy_pin_answer_are_scrubbed_from_an_echo():
    events = [slot("pin", "my pin is 4321"), bot("checking 4321 now")]
    assert redact_events(events)[-1]["text"] == f"checking {REDACTED} now"
