"""Identity verification: lockouts and non-disclosure, on in-memory adapters."""

from __future__ import annotations

from datetime import timedelta

from domain.identity import Identifier, parse_identifier, parse_pin
from domain.usecases.verification import conversation_locked, verify_identity
from tests.unit.fakes import FakeClock, demo_deps, dump_backoffice

ANA = Identifier(account_id="100001")


def test_account_numbers_and_phone_numbers_in_any_format_are_understood() -> None:
    assert parse_identifier("my account is 100001") == ANA
    for text in ("+1 555 010 0001", "555-010-0001", "(555) 010-0001", "15550100001"):
        assert parse_identifier(text) == Identifier(phone="+15550100001")
    assert parse_identifier("hello there") is None
    assert parse_identifier("12345") is None


def test_a_pin_is_exactly_four_digits() -> None:
    assert parse_pin("4321") == "4321"
    assert parse_pin("my pin is 4 3 2 1") == "4321"
    assert parse_pin("432") is None
    assert parse_pin("43210") is None
    assert parse_pin("I forgot") is None


def test_the_right_pin_verifies_by_account_or_by_phone() -> None:
    deps = demo_deps()
    by_account = verify_identity(deps, "c1", ANA, "4321")
    by_phone = verify_identity(deps, "c2", Identifier(phone="+15550100001"), "4321")
    assert by_account.verified and by_account.account_id == "100001"
    assert by_phone.verified and by_phone.first_name == "Ana"


def test_an_unknown_account_looks_exactly_like_a_wrong_pin() -> None:
    deps = demo_deps()
    unknown = verify_identity(deps, "c1", Identifier(account_id="999999"), "4321")
    wrong = verify_identity(deps, "c2", ANA, "0000")
    assert unknown == wrong


def test_three_wrong_pins_lock_the_conversation_whatever_the_accounts() -> None:
    deps = demo_deps()
    verify_identity(deps, "c1", ANA, "0000")
    verify_identity(deps, "c1", Identifier(account_id="100002"), "0000")
    third = verify_identity(deps, "c1", Identifier(account_id="999999"), "0000")
    assert third.conversation_locked
    assert conversation_locked(deps, "c1")
    assert not verify_identity(deps, "c1", ANA, "4321").verified
    assert verify_identity(deps, "other", ANA, "4321").verified


def test_five_wrong_pins_in_a_day_lock_the_account_across_conversations() -> None:
    clock = FakeClock()
    deps = demo_deps(clock)
    for n in range(5):
        verify_identity(deps, f"c{n}", ANA, "0000")
    assert not verify_identity(deps, "fresh", ANA, "4321").verified
    clock.advance(timedelta(hours=24, seconds=1))
    assert verify_identity(deps, "later", ANA, "4321").verified


def test_no_pin_is_recorded_anywhere_in_the_back_office() -> None:
    deps = demo_deps()
    verify_identity(deps, "c1", ANA, "4321")
    with deps.backoffice() as office:
        attempts = office.pin_attempts
        assert attempts.failures_in_conversation("c1") == 0
    dumped = "\n".join(dump_backoffice(deps))
    assert "pin_attempts" in dumped and "4321" not in dumped


class CountingBss:
    """The demo BSS, counting PIN checks (each one costs a PBKDF2 hash)."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.pin_checks = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def verify_pin(self, account_id: str, pin: str) -> bool:
        self.pin_checks += 1
        return bool(self.inner.verify_pin(account_id, pin))  # type: ignore[attr-defined]


def test_an_unknown_or_locked_account_costs_a_pin_check_like_a_wrong_pin() -> None:
    base = demo_deps()
    bss = CountingBss(base.billing)
    deps = base.__class__(**{**base.__dict__, "billing": bss})
    verify_identity(deps, "c1", Identifier(account_id="999999"), "1234")
    assert bss.pin_checks == 1
    for n in range(5):
        verify_identity(deps, f"lock{n}", ANA, "0000")
    checks = bss.pin_checks
    assert not verify_identity(deps, "c2", ANA, "4321").verified
    assert bss.pin_checks == checks + 1
