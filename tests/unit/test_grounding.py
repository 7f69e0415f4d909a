"""The verifier: every figure from the facts (or exactly derived), nothing promised unless done."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.grounding import CREDIT, WAIVER, GroundingFacts, verify

FACTS = GroundingFacts(
    amounts_cents=frozenset({11240, 7015, 6500, 3200, 500, 1040, 515}),
    unit_prices=((4, 800),),
    counts=frozenset({30}),
    dates=frozenset({date(2026, 12, 1), date(2026, 11, 10)}),
    ratio_pairs=((11240, 7015),),
    identifiers=("B-[ACCOUNT_1]-2", "INC-7790"),
)


def test_a_text_using_only_the_facts_passes():
    text = (
        "Hi [NAME_1]! Your bill B-[ACCOUNT_1]-2 is $112.40, due December 1, 2026. Roaming in "
        "Canada was 4 days at $8.00 a day ($32.00), plus a five dollar late fee."
    )
    assert verify(text, FACTS).ok


def test_an_invented_amount_is_rejected():
    verdict = verify("Your bill is $112.40, including a $52.25 roaming charge.", FACTS)
    assert not verdict.ok
    assert "$52.25" in verdict.reasons[0]


@pytest.mark.parametrize(
    "text",
    [
        "It went up by $42.25.",  # 112.40 - 70.15
        "Plan and roaming come to $97.00.",  # 65.00 + 32.00
        "4 days x $8.00 = $32.00",  # quantity x unit
        "Your bill rose 60% since last month.",  # (112.40 - 70.15) / 70.15 = 60.2%
        "That is 42.25 dollars more.",
        "Taxes went up 525 cents.",
    ],
)
def test_amounts_derivable_from_two_facts_pass(text):
    assert verify(text, FACTS).ok, verify(text, FACTS).reasons


@pytest.mark.parametrize(
    "text",
    [
        "You will get five hundred dollars back.",
        "Roaming was 5 days.",
        "It is due on December 15.",
        "Your bill went up 75%.",
        "Please pay 99.99 today.",
        "Incident INC-9999 affected you.",
        "Your total is USD 1,000.00",
    ],
)
def test_invented_figures_in_any_form_are_rejected(text):
    assert not verify(text, FACTS).ok


def test_a_promised_credit_without_a_policy_outcome_is_rejected():
    verdict = verify("I have applied a credit of $5.00 to your account.", FACTS)
    assert not verdict.ok
    assert any("credit" in reason for reason in verdict.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "I'll refund the roaming charge.",
        "Don't worry, I've waived the late fee.",
        "I can give you a payment extension.",
        "We will reimburse you.",
        "I will remove the late fee.",
    ],
)
def test_refunds_waivers_and_extensions_are_promises(text):
    assert not verify(text, FACTS).ok


def test_a_credit_the_policy_applied_may_be_mentioned():
    applied = FACTS.model_copy(update={"allowed_promises": frozenset({CREDIT, WAIVER})})
    assert verify("We waived your $5.00 late fee and credited it back.", applied).ok


def test_negated_mentions_are_not_promises():
    assert verify("I can't issue a refund myself, and there is no credit on this bill.", FACTS).ok


def test_percentages_listed_in_the_facts_pass():
    facts = FACTS.model_copy(update={"percentages": frozenset({Decimal("7.5")})})
    assert verify("Taxes are 7.5% of the plan.", facts).ok


def test_credit_card_is_not_a_credit():
    assert verify("You can pay by credit card.", FACTS).ok
