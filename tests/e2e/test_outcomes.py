"""The outcome table of DEMO_OPERATOR.md, end to end.

Every row is a whole conversation over the REST channel of the real stack, checked afterwards
through the ops API (adjustments, extensions, cases, balances). Around the rows: the same
conversation always ends the same way, nothing about an account is said before verification,
nothing is applied without a yes, a repeated request is applied once, and customers can identify
themselves the way they really type and speak.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from tests.e2e.conftest import LiveStack

pytestmark = pytest.mark.e2e


# --------------------------------------------------------------------------------------------
# The seed (DEMO_OPERATOR.md)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Customer:
    account: str
    first_name: str
    last_name: str
    phone: str
    pin: str
    balance_cents: int

    @property
    def wrong_pin(self) -> str:
        return f"{(int(self.pin) + 1) % 10000:04d}"


ANA = Customer("100001", "Ana", "Pereira", "+15550100001", "4321", 11240)
BEN = Customer("100002", "Ben", "Okafor", "+15550100002", "8765", 8130)
CARLA = Customer("100003", "Carla", "Mendes", "+15550100003", "2468", 6840)
DAVID = Customer("100004", "David", "Kim", "+15550100004", "1357", 25410)
ELENA = Customer("100005", "Elena", "Rossi", "+15550100005", "9999", 10810)
FARID = Customer("100006", "Farid", "Haddad", "+15550100006", "1111", 6840)
GRACE = Customer("100007", "Grace", "Liu", "+15550100007", "2020", 7340)
HIRO = Customer("100008", "Hiro", "Tanaka", "+15550100008", "5678", 7410)
CUSTOMERS = (ANA, BEN, CARLA, DAVID, ELENA, FARID, GRACE, HIRO)

POLICY_VERSION = "2026-11-01"

# The request wordings (plain ones, close to bot/data/nlu).
WAIVE = "can you waive the late fee"
DUPLICATE = "i was charged twice for device protection"
OUTAGE = "my service was down, i want a credit for the outage"
DISPUTE = "i want to dispute the TrivaFun charge"
TWO_WEEKS = "can i get two more weeks to pay"
THIRTY_DAYS = "i need 30 more days to pay"
PERSON = "i want to talk to a person"

CASE_REFERENCE = re.compile(r"\bKM-\d+\b")
CREDIT_REFERENCE = re.compile(r"\bCR-[0-9A-F]{10}\b")


def current_due_date() -> date:
    """Every current bill is due at T+11d (T = the reset that `fresh` just did)."""
    return (datetime.now(timezone.utc) + timedelta(days=11)).date()


def spoken_date(day: date) -> str:
    return f"{day:%B} {day.day}"


def dollars(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


# --------------------------------------------------------------------------------------------
# Driving the conversation
# --------------------------------------------------------------------------------------------


def converse(live: LiveStack, sender: str, *lines: str) -> list[str]:
    """Say each line in turn; every reply of the bot, in order."""
    replies: list[str] = []
    for line in lines:
        replies += live.say(sender, line)
    return replies


def say(live: LiveStack, sender: str, line: str) -> str:
    """One turn; the bot's replies joined into one string."""
    return " ".join(live.say(sender, line))


def verify(
    live: LiveStack,
    sender: str,
    customer: Customer,
    request: str,
    identifier: str | None = None,
    pin: str | None = None,
) -> str:
    """Greet, make a request, get verified; the reply to the PIN (which answers the request)."""
    greeting = say(live, sender, "hi")
    assert "automated assistant" in greeting, greeting
    asked = say(live, sender, request)
    assert "account number" in asked and "phone number" in asked, (request, asked)
    asked_pin = say(live, sender, identifier or customer.account)
    assert "PIN" in asked_pin, (identifier, asked_pin)
    answer = say(live, sender, pin or customer.pin)
    assert f"Thanks, {customer.first_name}, you're verified." in answer, (pin, answer)
    return answer


# --------------------------------------------------------------------------------------------
# Reading the ops API
# --------------------------------------------------------------------------------------------

ADJUSTMENT_FIELDS = ("kind", "amount_cents", "status", "proposed_by", "decided_by")
EXTENSION_FIELDS = ("days", "new_due_date", "status", "proposed_by", "decided_by")


def new_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows made in this test (the seeded history has idempotency keys starting `seed-`)."""
    return [r for r in rows if not str(r["idempotency_key"]).startswith("seed-")]


def adjustment(kind: str, cents: int, status: str, decided_by: str | None) -> dict[str, Any]:
    return {
        "kind": kind,
        "amount_cents": cents,
        "status": status,
        "proposed_by": "bot",
        "decided_by": decided_by,
    }


def outcome(rows: list[dict[str, Any]], fields: tuple[str, ...]) -> list[dict[str, Any]]:
    projected = [{f: r[f] for f in fields} for r in new_rows(rows)]
    return sorted(projected, key=lambda r: str(r["status"]))


def assert_untouched(live: LiveStack, customer: Customer) -> dict[str, Any]:
    """Nothing new on the account: no adjustment, extension or case; the seeded balance."""
    account = live.ops(customer.account)
    assert new_rows(account["adjustments"]) == []
    assert new_rows(account["payment_extensions"]) == []
    assert account["cases"] == []
    assert account["balance_cents"] == customer.balance_cents
    return account


def assert_offered(
    live: LiveStack, customer: Customer, kind: str, amount: int, table: str = "adjustments"
) -> dict[str, Any]:
    """Only the stated offer is on record (status offered, nobody decided), no money moved."""
    account = live.ops(customer.account)
    [offer] = new_rows(account[table])
    size = "days" if table == "payment_extensions" else "amount_cents"
    assert (offer["status"], offer[size], offer["decided_by"]) == ("offered", amount, None)
    if table == "adjustments":
        assert offer["kind"] == kind
    assert offer["expires_at"] is not None
    other = "payment_extensions" if table == "adjustments" else "adjustments"
    assert new_rows(account[other]) == []
    assert account["cases"] == []
    assert account["balance_cents"] == customer.balance_cents
    return account


def the_case(account: dict[str, Any], reply: str, proposed_cents: int | None) -> dict[str, Any]:
    """The one case on the account, the one whose reference the customer was given."""
    said = CASE_REFERENCE.findall(reply)
    assert len(said) == 1, reply
    cases = account["cases"]
    assert [c["reference"] for c in cases] == said, (cases, reply)
    case = cases[0]
    assert case["status"] == "open"
    assert case["channel"] == "rest"
    assert case["proposed_amount_cents"] == proposed_cents
    return case


def assert_applied_by_bot(
    live: LiveStack, customer: Customer, kind: str, cents: int
) -> dict[str, Any]:
    account = live.ops(customer.account)
    assert outcome(account["adjustments"], ADJUSTMENT_FIELDS) == [
        adjustment(kind, cents, "applied", "bot")
    ]
    [row] = new_rows(account["adjustments"])
    assert row["case_id"] is None
    assert row["policy_version"] == POLICY_VERSION
    assert row["decided_at"] is not None
    assert new_rows(account["payment_extensions"]) == []
    assert account["cases"] == []
    assert account["balance_cents"] == customer.balance_cents - cents
    return account


def assert_pending_with_case(
    live: LiveStack, customer: Customer, kind: str, cents: int, reply: str
) -> dict[str, Any]:
    account = live.ops(customer.account)
    assert outcome(account["adjustments"], ADJUSTMENT_FIELDS) == [
        adjustment(kind, cents, "pending_approval", None)
    ]
    case = the_case(account, reply, cents)
    [row] = new_rows(account["adjustments"])
    assert row["case_id"] == case["id"]
    assert row["decided_at"] is None
    assert new_rows(account["payment_extensions"]) == []
    assert account["balance_cents"] == customer.balance_cents
    return account


# --------------------------------------------------------------------------------------------
# 1. The outcome table, row by row
# --------------------------------------------------------------------------------------------


def test_ana_gets_her_5_dollar_late_fee_waived_by_the_bot(fresh: LiveStack, sender: str) -> None:
    offer = verify(fresh, sender, ANA, WAIVE)
    assert "$5.00" in offer and "Shall I go ahead?" in offer, offer
    assert_offered(fresh, ANA, "late_fee_waiver", 500)

    done = say(fresh, sender, "yes")

    assert "Done. I've applied a $5.00 credit" in done, done
    assert CREDIT_REFERENCE.search(done), done
    assert "new balance is $107.40" in done, done
    assert_applied_by_bot(fresh, ANA, "late_fee_waiver", 500)


def test_ben_gets_the_doubled_device_protection_credited_by_the_bot(
    fresh: LiveStack, sender: str
) -> None:
    offer = verify(fresh, sender, BEN, DUPLICATE)
    assert "$15.00" in offer and "Shall I go ahead?" in offer, offer
    assert_offered(fresh, BEN, "duplicate_charge", 1500)

    done = say(fresh, sender, "yes")

    assert "Done. I've applied a $15.00 credit" in done, done
    assert CREDIT_REFERENCE.search(done), done
    assert "new balance is $66.30" in done, done
    assert_applied_by_bot(fresh, BEN, "duplicate_charge", 1500)


def test_carla_gets_an_8_dollar_outage_credit_by_the_bot(fresh: LiveStack, sender: str) -> None:
    offer = verify(fresh, sender, CARLA, OUTAGE)
    assert "$8.00" in offer and "Shall I go ahead?" in offer, offer
    assert_offered(fresh, CARLA, "outage_credit", 800)

    done = say(fresh, sender, "yes")

    assert "Done. I've applied a $8.00 credit" in done, done
    assert CREDIT_REFERENCE.search(done), done
    assert "new balance is $60.40" in done, done
    assert_applied_by_bot(fresh, CARLA, "outage_credit", 800)


def test_davids_trivafun_dispute_becomes_a_case_proposing_180_dollars(
    fresh: LiveStack, sender: str
) -> None:
    reply = verify(fresh, sender, DAVID, DISPUTE)

    assert "$180.00" in reply, reply
    assert "Shall I go ahead?" not in reply, reply
    assert "minutes" in reply, reply
    assert_pending_with_case(fresh, DAVID, "third_party_dispute", 18000, reply)


def test_elenas_waiver_is_declined_and_on_request_becomes_a_case_proposing_5_dollars(
    fresh: LiveStack, sender: str
) -> None:
    declined = verify(fresh, sender, ELENA, WAIVE)
    assert "12 months" in declined and "talk to a person" in declined, declined
    account = fresh.ops(ELENA.account)
    assert outcome(account["adjustments"], ADJUSTMENT_FIELDS) == [
        adjustment("late_fee_waiver", 500, "declined", "bot")
    ]
    assert account["cases"] == []

    reply = say(fresh, sender, PERSON)

    assert "$5.00" in reply, reply
    account = fresh.ops(ELENA.account)
    assert outcome(account["adjustments"], ADJUSTMENT_FIELDS) == [
        adjustment("late_fee_waiver", 500, "declined", "bot"),
        adjustment("late_fee_waiver", 500, "pending_approval", None),
    ]
    case = the_case(account, reply, 500)
    by_status = {r["status"]: r for r in new_rows(account["adjustments"])}
    assert by_status["pending_approval"]["case_id"] == case["id"]
    assert by_status["declined"]["case_id"] is None
    assert by_status["declined"]["policy_rule"] == "late_fee_waiver.once_per_window"
    seeded = [a for a in account["adjustments"] if a["idempotency_key"].startswith("seed-")]
    assert [(a["kind"], a["status"]) for a in seeded] == [("late_fee_waiver", "applied")]
    assert new_rows(account["payment_extensions"]) == []
    assert account["balance_cents"] == ELENA.balance_cents


def test_elena_gets_a_14_day_extension_from_the_bot(fresh: LiveStack, sender: str) -> None:
    due = current_due_date()
    new_due = due + timedelta(days=14)

    offer = verify(fresh, sender, ELENA, TWO_WEEKS)
    assert (
        f"I can move your due date from {spoken_date(due)} to {spoken_date(new_due)} (14 days). "
        "Shall I go ahead?"
    ) in offer, offer
    assert_offered(fresh, ELENA, "", 14, table="payment_extensions")

    done = say(fresh, sender, "yes")

    assert f"Done. Your due date is now {spoken_date(new_due)}" in done, done
    account = fresh.ops(ELENA.account)
    assert outcome(account["payment_extensions"], EXTENSION_FIELDS) == [
        {
            "days": 14,
            "new_due_date": new_due.isoformat(),
            "status": "applied",
            "proposed_by": "bot",
            "decided_by": "bot",
        }
    ]
    assert new_rows(account["payment_extensions"])[0]["case_id"] is None
    assert new_rows(account["adjustments"]) == []
    assert account["cases"] == []
    assert account["balance_cents"] == ELENA.balance_cents


def test_elenas_30_day_extension_becomes_a_case_proposing_no_money(
    fresh: LiveStack, sender: str
) -> None:
    new_due = current_due_date() + timedelta(days=30)

    reply = verify(fresh, sender, ELENA, THIRTY_DAYS)

    assert "30-day" in reply and spoken_date(new_due) in reply, reply
    assert "Shall I go ahead?" not in reply, reply
    account = fresh.ops(ELENA.account)
    assert outcome(account["payment_extensions"], EXTENSION_FIELDS) == [
        {
            "days": 30,
            "new_due_date": new_due.isoformat(),
            "status": "pending_approval",
            "proposed_by": "bot",
            "decided_by": None,
        }
    ]
    case = the_case(account, reply, None)
    assert new_rows(account["payment_extensions"])[0]["case_id"] == case["id"]
    assert new_rows(account["adjustments"]) == []
    assert account["balance_cents"] == ELENA.balance_cents


def test_graces_waiver_becomes_a_case_and_she_is_not_told_why(
    fresh: LiveStack, sender: str
) -> None:
    reply = verify(fresh, sender, GRACE, WAIVE)

    assert "$5.00" in reply, reply
    assert_pending_with_case(fresh, GRACE, "late_fee_waiver", 500, reply)
    later = converse(fresh, sender, "why can't you do it yourself?", "thanks")
    told = " ".join([reply, *later]).lower()
    for word in ("flag", "review", "fraud", "suspicious", "investigat"):
        assert word not in told, (word, told)


def test_hiros_outage_goes_to_a_person_proposing_867_because_of_the_rolling_cap(
    fresh: LiveStack, sender: str
) -> None:
    reply = verify(fresh, sender, HIRO, OUTAGE)

    assert "$8.67" in reply, reply
    assert "Shall I go ahead?" not in reply, reply
    account = assert_pending_with_case(fresh, HIRO, "outage_credit", 867, reply)
    seeded = [a for a in account["adjustments"] if a["idempotency_key"].startswith("seed-")]
    assert sorted(a["amount_cents"] for a in seeded) == [2000, 2500]


# --------------------------------------------------------------------------------------------
# 2. The same conversation gives the same outcome
# --------------------------------------------------------------------------------------------

VOLATILE = [
    (re.compile(r"\bKM-\d+\b"), "KM-<n>"),
    (re.compile(r"\bCR-[0-9A-F]+\b"), "CR-<ref>"),
    (re.compile(r"\b(adj|ext|case|dec)_[0-9a-f]+\b"), r"\1_<id>"),
]
VOLATILE_FIELDS = {"id", "case_id", "created_at", "decided_at"}


def normalised(value: Any) -> Any:
    if isinstance(value, str):
        for pattern, replacement in VOLATILE:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items() if k not in VOLATILE_FIELDS}
    return value


def test_anas_waiver_run_five_times_after_a_reset_ends_the_same_way(
    live: LiveStack, sender: str
) -> None:
    runs = []
    for run in range(5):
        live.reset()
        conversation = f"{sender}-{run}"
        replies = converse(live, conversation, "hi", WAIVE, ANA.account, ANA.pin, "yes", "thanks")
        runs.append((normalised(replies), normalised(live.ops(ANA.account))))

    first_replies, first_account = runs[0]
    assert any("new balance is $107.40" in r for r in first_replies), first_replies
    assert first_account["balance_cents"] == ANA.balance_cents - 500
    assert outcome(first_account["adjustments"], ADJUSTMENT_FIELDS) == [
        adjustment("late_fee_waiver", 500, "applied", "bot")
    ]
    for replies, account in runs[1:]:
        assert replies == first_replies
        assert account == first_account


# --------------------------------------------------------------------------------------------
# 3. Nothing is disclosed before verification
# --------------------------------------------------------------------------------------------

NAMES = re.compile(
    r"\b(" + "|".join(n for c in CUSTOMERS for n in (c.first_name, c.last_name)) + r")\b"
)
DATES = re.compile(
    r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}\b"
    r"|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}\b|\b\d{1,2}(st|nd|rd|th)\b"
)
ACCOUNT_DETAILS = re.compile(r"\bORD[-\s]?\d+|\b1Z[0-9A-Z]+|Unlimited|Essentials|UPS\b", re.I)


def disclosures(text: str) -> list[str]:
    found = ["$"] if "$" in text else []
    found += [m.group(0) for m in NAMES.finditer(text)]
    found += [m.group(0) for m in DATES.finditer(text)]
    found += [m.group(0) for m in ACCOUNT_DETAILS.finditer(text)]
    return found


# intent, a plain wording, whose account, what the answer says once verified
REQUESTS = [
    ("ask_balance", "what's my balance", ANA, "$112.40"),
    ("ask_due_date", "when is my bill due", ANA, "$112.40"),
    ("ask_bill_increase", "why is my bill higher", ANA, "$32.00"),
    ("request_late_fee_waiver", WAIVE, ANA, "$5.00"),
    ("request_duplicate_credit", DUPLICATE, BEN, "$15.00"),
    ("request_outage_credit", OUTAGE, CARLA, "$8.00"),
    ("dispute_charge", DISPUTE, DAVID, "$180.00"),
    ("request_extension", TWO_WEEKS, ELENA, "(14 days)"),
    ("ask_order_status", "where is my order", FARID, "ORD-5001"),
]


@pytest.mark.parametrize(
    ("request_text", "customer", "answer"),
    [pytest.param(text, who, answer, id=intent) for intent, text, who, answer in REQUESTS],
)
def test_nothing_about_the_account_is_said_before_the_right_pin(
    fresh: LiveStack, sender: str, request_text: str, customer: Customer, answer: str
) -> None:
    before = converse(
        fresh,
        sender,
        "hi",
        request_text,
        customer.account,
        customer.wrong_pin,  # wrong PIN for an account that exists
        "999999",
        customer.pin,  # right PIN for an account that does not
        customer.phone,
        "12",  # not a PIN at all
    )
    text = " ".join(before)
    assert "couldn't verify" in text, before
    assert disclosures(text) == [], before
    assert_untouched(fresh, customer)

    after = say(fresh, sender, customer.pin)

    assert f"Thanks, {customer.first_name}, you're verified." in after, after
    assert answer in after, after


def test_asking_for_a_person_and_declining_to_verify_gives_a_case_and_discloses_nothing(
    fresh: LiveStack, sender: str
) -> None:
    replies = converse(fresh, sender, "hi", PERSON, "no")
    text = " ".join(replies)
    assert CASE_REFERENCE.search(text), replies
    assert disclosures(text) == [], replies
    for customer in CUSTOMERS:
        assert fresh.ops(customer.account)["cases"] == [], customer.account


# --------------------------------------------------------------------------------------------
# 4. No adjustment without a yes
# --------------------------------------------------------------------------------------------

# who, the request, what the offer says
OFFERS = [
    pytest.param(ANA, WAIVE, "$5.00", id="ana-waiver"),
    pytest.param(BEN, DUPLICATE, "$15.00", id="ben-duplicate"),
    pytest.param(CARLA, OUTAGE, "$8.00", id="carla-outage"),
    pytest.param(ELENA, TWO_WEEKS, "(14 days)", id="elena-extension"),
]


def assert_nothing_applied(live: LiveStack, customer: Customer) -> None:
    account = live.ops(customer.account)
    assert [a for a in new_rows(account["adjustments"]) if a["status"] == "applied"] == []
    assert [e for e in new_rows(account["payment_extensions"]) if e["status"] == "applied"] == []
    assert account["balance_cents"] == customer.balance_cents


@pytest.mark.parametrize(("customer", "request_text", "offered"), OFFERS)
def test_an_offer_answered_no_changes_nothing_and_a_late_yes_does_not_revive_it(
    fresh: LiveStack, sender: str, customer: Customer, request_text: str, offered: str
) -> None:
    offer = verify(fresh, sender, customer, request_text)
    assert offered in offer and "Shall I go ahead?" in offer, offer

    no = say(fresh, sender, "no")
    assert "haven't changed anything" in no, no
    assert_nothing_applied(fresh, customer)
    account = fresh.ops(customer.account)
    statuses = [
        r["status"] for r in new_rows(account["adjustments"] + account["payment_extensions"])
    ]
    assert statuses == ["withdrawn"], account  # the customer's no is on record as such

    late_yes = say(fresh, sender, "yes")
    assert "Done" not in late_yes, late_yes
    assert_nothing_applied(fresh, customer)


@pytest.mark.parametrize(("customer", "request_text", "offered"), OFFERS)
def test_an_offer_followed_by_an_unrelated_question_changes_nothing(
    fresh: LiveStack, sender: str, customer: Customer, request_text: str, offered: str
) -> None:
    offer = verify(fresh, sender, customer, request_text)
    assert offered in offer and "Shall I go ahead?" in offer, offer

    replies = converse(fresh, sender, "how do i pay", "what's the weather like", "thanks", "bye")

    assert not any("Done" in r for r in replies), replies
    assert_nothing_applied(fresh, customer)


def test_after_a_digression_a_yes_applies_the_offered_credit_exactly_once(
    fresh: LiveStack, sender: str
) -> None:
    offer = verify(fresh, sender, ANA, WAIVE)
    assert "$5.00" in offer and "Shall I go ahead?" in offer, offer

    digression = say(fresh, sender, "what's my balance?")
    assert "Your balance is $112.40" in digression, digression
    assert "Back to your earlier request" in digression and "$5.00" in digression, digression
    assert_offered(fresh, ANA, "late_fee_waiver", 500)

    done = say(fresh, sender, "yes")
    assert "Done. I've applied a $5.00 credit" in done, done
    assert "new balance is $107.40" in done, done
    again = say(fresh, sender, "yes")
    assert "Done" not in again, again

    assert_applied_by_bot(fresh, ANA, "late_fee_waiver", 500)


# --------------------------------------------------------------------------------------------
# 5. Asking again applies nothing more
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("customer", "request_text", "again_text", "kind", "cents"),
    [
        pytest.param(
            BEN,
            DUPLICATE,
            "you billed me twice for the same thing",
            "duplicate_charge",
            1500,
            id="ben-duplicate",
        ),
        pytest.param(
            CARLA,
            OUTAGE,
            "i want a credit for the outage",
            "outage_credit",
            800,
            id="carla-outage",
        ),
    ],
)
def test_asking_twice_for_the_same_credit_applies_it_once(
    fresh: LiveStack,
    sender: str,
    customer: Customer,
    request_text: str,
    again_text: str,
    kind: str,
    cents: int,
) -> None:
    verify(fresh, sender, customer, request_text)
    done = say(fresh, sender, "yes")
    assert "Done." in done, done
    new_balance = dollars(customer.balance_cents - cents)

    again = say(fresh, sender, again_text)
    assert "already done" in again, again
    assert f"Your balance is {new_balance}" in again, again
    assert "Shall I go ahead?" not in again, again
    yes_again = say(fresh, sender, "yes")
    assert "Done" not in yes_again, yes_again
    third = say(fresh, sender, request_text)
    assert "already done" in third, third

    assert_applied_by_bot(fresh, customer, kind, cents)


def test_a_second_conversation_asking_for_the_same_credit_is_told_it_is_done(
    fresh: LiveStack, sender: str
) -> None:
    verify(fresh, sender, BEN, DUPLICATE)
    say(fresh, sender, "yes")

    again = verify(fresh, sender + "-again", BEN, DUPLICATE)

    assert "already done" in again, again
    assert_applied_by_bot(fresh, BEN, "duplicate_charge", 1500)


# --------------------------------------------------------------------------------------------
# 6. Identity as people type and say it
# --------------------------------------------------------------------------------------------

PHONE_FORMATS = [
    "+15550100001",
    "+1 555 010 0001",
    "+1 (555) 010-0001",
    "+1-555-010-0001",
    "15550100001",
    "1 555 010 0001",
    "5550100001",
    "555 010 0001",
    "555-010-0001",
    "555.010.0001",
    "(555) 010-0001",
    "(555)010-0001",
    "my phone number is 555 010 0001",
    "it's 555-010-0001",
    "five five five zero one zero zero zero zero one",
]


@pytest.mark.parametrize("phone", PHONE_FORMATS)
def test_ana_is_verified_by_her_phone_number_however_it_is_written(
    fresh: LiveStack, sender: str, phone: str
) -> None:
    answer = verify(fresh, sender, ANA, "what's my balance", identifier=phone)
    assert "Your balance is $112.40" in answer, answer


SPOKEN_PINS = [
    pytest.param(ANA, "four three two one", id="ana-words"),
    pytest.param(ANA, "my pin is four three two one", id="ana-sentence"),
    pytest.param(ANA, "4 3 2 1", id="ana-spaced-digits"),
    pytest.param(ELENA, "nine nine nine nine", id="elena-words"),
    pytest.param(CARLA, "two four six eight", id="carla-words"),
    pytest.param(FARID, "one one one one", id="farid-words"),
    pytest.param(GRACE, "two oh two oh", id="grace-oh-for-zero"),
]


@pytest.mark.parametrize(("customer", "pin"), SPOKEN_PINS)
def test_a_pin_spoken_as_words_verifies_the_customer(
    fresh: LiveStack, sender: str, customer: Customer, pin: str
) -> None:
    answer = verify(fresh, sender, customer, "what's my balance", pin=pin)
    assert f"Your balance is {dollars(customer.balance_cents)}" in answer, answer


def test_phone_number_and_spoken_pin_together_get_elena_her_extension(
    fresh: LiveStack, sender: str
) -> None:
    due = current_due_date()
    offer = verify(
        fresh, sender, ELENA, TWO_WEEKS, identifier="(555) 010-0005", pin="nine nine nine nine"
    )
    assert f"to {spoken_date(due + timedelta(days=14))} (14 days)" in offer, offer
    say(fresh, sender, "yes please")
    account = fresh.ops(ELENA.account)
    assert outcome(account["payment_extensions"], EXTENSION_FIELDS) == [
        {
            "days": 14,
            "new_due_date": (due + timedelta(days=14)).isoformat(),
            "status": "applied",
            "proposed_by": "bot",
            "decided_by": "bot",
        }
    ]
