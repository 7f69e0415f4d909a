"""Masking: known customer fields and patterns become placeholders; only unmask restores them."""

from __future__ import annotations

import pytest

from domain.privacy import CARD, PIN, KnownPii, Masker, luhn_ok, unknown_placeholders

ANA = KnownPii(names=("Ana Pereira",), phones=("+15550100001",), account_ids=("100001",))


def test_known_name_account_and_phone_are_masked_in_any_format():
    masker = Masker(ANA)
    text = "ana pereira here, Ana, acct 100001, phone (555) 010-0001 or +1 555.010.0001"
    masked = masker.mask(text)
    for secret in ("ana", "Ana", "Pereira", "100001", "555", "0001"):
        assert secret not in masked
    assert "[NAME_1]" in masked and "[ACCOUNT_1]" in masked and "[PHONE_1]" in masked


@pytest.mark.parametrize(
    "phone",
    ["+44 20 7946 0958", "(312) 555-0199", "312.555.0199", "3125550199", "+1-312-555-0199"],
)
def test_unknown_phone_numbers_in_any_grouping_are_masked(phone):
    masked = Masker().mask(f"call me on {phone} please")
    assert masked == "call me on [PHONE_1] please"


def test_account_numbers_next_to_the_word_account_are_masked():
    assert Masker().mask("my account number is 204518") == "my account number is [ACCOUNT_1]"


def test_emails_and_street_addresses_are_masked():
    masked = Masker().mask("write to jo.doe+bills@mail.example.com or 42 Elm Street, Springfield")
    assert masked == "write to [EMAIL_1] or [ADDRESS_1], Springfield"


def test_card_numbers_passing_luhn_are_masked_and_never_restorable():
    masker = Masker()
    masked = masker.mask("card 4111 1111 1111 1111 and 4111-1111-1111-1112")
    assert masked.startswith(f"card {CARD} and")
    assert "4111-1111-1111-1112" in masked  # fails Luhn: not a card number
    assert masker.unmask(masked).startswith(f"card {CARD}")
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")


@pytest.mark.parametrize(
    "text", ["my pin is 4321", "PIN: 4321", "pin 4321", "4321 is my PIN", "pin code 4321"]
)
def test_four_digit_pins_next_to_pin_are_masked_for_good(text):
    masker = Masker()
    masked = masker.mask(text)
    assert "4321" not in masked and PIN in masked
    assert "4321" not in masker.unmask(masked)


def test_introduced_names_are_masked():
    masked = Masker().mask("Hi, my name is Maria Lopez and I am upset")
    assert masked == "Hi, my name is [NAME_1] and I am upset"


def test_unmask_restores_exactly_what_was_masked():
    masker = Masker(ANA)
    masked = masker.mask("Ana Pereira, account 100001")
    assert masker.unmask(f"Hi {masked}!") == "Hi Ana Pereira, account 100001!"


def test_the_same_value_gets_the_same_placeholder():
    masker = Masker(ANA)
    assert masker.mask("100001") == masker.mask("account 100001").split()[-1]


def test_placeholders_a_model_invents_are_spotted():
    masker = Masker(ANA)
    masker.mask("Ana")
    assert unknown_placeholders("[NAME_1] and [ACCOUNT_7]", masker) == ["[ACCOUNT_7]"]


def test_amounts_and_dates_are_left_alone():
    text = "Your bill of $112.40 is due 2026-12-01; 4 days x $8.00 = $32.00, ref B-2 INC-7781"
    assert Masker(ANA).mask(text) == text
