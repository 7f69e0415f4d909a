"""The actions translate only: a tracker in, use-case results out as replies and slot events."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.billing import ActionBalance
from actions.conversation import ActionAffirm, ActionDeny, ActionStartOver
from actions.credits import ActionOfferLateFeeWaiver
from actions.guard import Guarded
from actions.handoff import ActionHandoff
from actions.pending import Pending
from actions.verification import ActionAfterVerification, ValidateVerifyForm
from app.bootstrap import use_deps
from domain.errors import ExternalSystemError, StorageUnavailable
from domain.usecases.deps import Deps

ROOT = Path(__file__).resolve().parents[2]
DOMAIN: dict[str, Any] = {"forms": {"verify_form": {"required_slots": ["identifier", "pin"]}}}


def tracker(
    sender: str = "conv",
    text: str = "",
    intent: str = "inform",
    confidence: float = 0.9,
    **slots: Any,
) -> Tracker:
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": slots,
            "latest_message": {
                "text": text,
                "intent": {"name": intent, "confidence": confidence},
                "entities": [],
            },
            "events": [{"event": "user", "text": text, "input_channel": "rest"}],
            "paused": False,
            "latest_event_time": None,
            "followup_action": None,
            "active_loop": {"name": "verify_form"},
            "latest_action_name": None,
        }
    )


def texts(dispatcher: CollectingDispatcher) -> str:
    return " ".join(m.get("text") or "" for m in dispatcher.messages)


def slots_set(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def test_an_unverified_balance_question_starts_verification_and_discloses_nothing(
    deps: Deps,
) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionBalance().run(dispatcher, tracker(), {})
    assert slots_set(events) == {"pending_request": "action_balance"}
    assert any(e["event"] == "followup" and e["name"] == "verify_form" for e in events)
    assert "$" not in texts(dispatcher)


async def test_the_right_pin_verifies_and_the_pin_slot_is_cleared(deps: Deps) -> None:
    dispatcher = CollectingDispatcher()
    form = ValidateVerifyForm()
    result = await form.validate_pin(
        "4321", dispatcher, tracker(identifier="account:100001"), DOMAIN
    )
    assert result == {"pin": None, "verified_account": "100001", "customer_name": "Ana"}


async def test_a_reply_that_is_not_four_digits_is_asked_again_and_not_counted(deps: Deps) -> None:
    dispatcher = CollectingDispatcher()
    form = ValidateVerifyForm()
    for _ in range(4):
        result = await form.validate_pin(
            "no idea", dispatcher, tracker(identifier="account:100001"), DOMAIN
        )
        assert result == {"pin": None}
    with deps.backoffice() as office:
        assert office.pin_attempts.failures_in_conversation("conv") == 0


async def test_the_third_wrong_pin_locks_and_offers_a_person(deps: Deps) -> None:
    form = ValidateVerifyForm()
    for _ in range(2):
        await form.validate_pin(
            "0000", CollectingDispatcher(), tracker(identifier="account:100001"), DOMAIN
        )
    dispatcher = CollectingDispatcher()
    result = await form.validate_pin(
        "0000", dispatcher, tracker(identifier="account:100001"), DOMAIN
    )
    assert result["verification_locked"] is True
    assert Pending.parse(result["pending_offer"]) == Pending(handoff_reason="verification locked")
    assert "person" in texts(dispatcher)


async def test_after_verification_the_pending_request_is_answered(deps: Deps) -> None:
    dispatcher = CollectingDispatcher()
    t = tracker(verified_account="100001", customer_name="Ana", pending_request="action_balance")
    events = await ActionAfterVerification().run(dispatcher, t, {})
    assert slots_set(events) == {"pending_request": None}
    assert "Thanks, Ana" in texts(dispatcher)
    assert "$112.40" in texts(dispatcher)


async def test_a_waiver_is_offered_with_its_amount_and_applied_only_after_yes(deps: Deps) -> None:
    offer = CollectingDispatcher()
    events = await ActionOfferLateFeeWaiver().run(offer, tracker(verified_account="100001"), {})
    assert "$5.00" in texts(offer) and "Shall I go ahead" in texts(offer)
    assert deps.billing.get_balance_cents("100001") == 11240

    pending = slots_set(events)["pending_offer"]
    done = CollectingDispatcher()
    yes = tracker(text="yes", intent="affirm", verified_account="100001", pending_offer=pending)
    await ActionAffirm().run(done, yes, {})
    assert "$107.40" in texts(done)
    assert deps.billing.get_balance_cents("100001") == 11240 - 500


async def test_an_offer_made_to_another_account_is_never_applied(deps: Deps) -> None:
    events = await ActionOfferLateFeeWaiver().run(
        CollectingDispatcher(), tracker(verified_account="100001"), {}
    )
    anas_offer = slots_set(events)["pending_offer"]
    dispatcher = CollectingDispatcher()
    yes = tracker(text="yes", intent="affirm", verified_account="100002", pending_offer=anas_offer)
    events = await ActionAffirm().run(dispatcher, yes, {})
    assert "verify your identity again" in texts(dispatcher)
    assert slots_set(events) == {"pending_offer": None}
    assert deps.billing.get_balance_cents("100001") == 11240
    assert deps.billing.get_balance_cents("100002") == 8130


async def test_the_dialogue_holds_only_the_offers_id_and_the_offer_is_stored(deps: Deps) -> None:
    events = await ActionOfferLateFeeWaiver().run(
        CollectingDispatcher(), tracker(verified_account="100001"), {}
    )
    pending = Pending.parse(slots_set(events)["pending_offer"])
    assert pending is not None and pending.offer_id is not None
    with deps.backoffice() as office:
        offer = office.adjustments.get(pending.offer_id)
    assert offer is not None and offer.status.value == "offered" and offer.amount_cents == 500


async def test_a_no_withdraws_the_stored_offer(deps: Deps) -> None:
    events = await ActionOfferLateFeeWaiver().run(
        CollectingDispatcher(), tracker(verified_account="100001"), {}
    )
    raw = slots_set(events)["pending_offer"]
    no = tracker(text="no", intent="deny", verified_account="100001", pending_offer=raw)
    await ActionDeny().run(CollectingDispatcher(), no, {})
    offer_id = Pending.parse(raw).offer_id  # type: ignore[union-attr]
    with deps.backoffice() as office:
        assert office.adjustments.get(offer_id).status.value == "withdrawn"  # type: ignore[union-attr]


def test_every_registered_action_answers_on_failure() -> None:
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    declared = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text())["actions"]
    assert set(declared) <= set(executor.actions)
    for name, run in executor.actions.items():
        assert isinstance(getattr(run, "__self__", None), Guarded), f"{name} is not Guarded"
        assert getattr(run, "guarded", False), f"{name}'s own run is not wrapped"


class BrokenBss:
    def __init__(self, inner: object, error: Exception) -> None:
        self.inner, self.error = inner, error

    def __getattr__(self, name: str) -> object:
        def fail(*args: object, **kwargs: object) -> object:
            raise self.error

        return fail


async def test_a_yes_whose_posting_fails_unexpectedly_still_gets_an_answer(deps: Deps) -> None:
    events = await ActionOfferLateFeeWaiver().run(
        CollectingDispatcher(), tracker(verified_account="100001"), {}
    )
    pending = slots_set(events)["pending_offer"]
    use_deps(dataclasses.replace(deps, billing=BrokenBss(deps.billing, RuntimeError("a bug"))))
    dispatcher = CollectingDispatcher()
    yes = tracker(text="yes", intent="affirm", verified_account="100001", pending_offer=pending)
    await ActionAffirm().run(dispatcher, yes, {})
    assert "something went wrong on my side" in texts(dispatcher)


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (ExternalSystemError("BSS down"), "isn't responding right now"),
        (StorageUnavailable("locked"), "isn't responding right now"),
        (RuntimeError("a bug"), "something went wrong on my side"),
    ],
)
async def test_an_action_whose_use_case_raises_still_answers_and_offers_a_person(
    deps: Deps, error: Exception, said: str
) -> None:
    use_deps(dataclasses.replace(deps, billing=BrokenBss(deps.billing, error)))
    dispatcher = CollectingDispatcher()
    events = await ActionBalance().run(dispatcher, tracker(verified_account="100001"), {})
    assert said in texts(dispatcher) and "connect you with a person" in texts(dispatcher)
    assert Pending.parse(slots_set(events)["pending_offer"]).handoff_reason  # type: ignore[union-attr]


async def test_asking_for_a_person_gives_a_case_reference_and_a_wait(deps: Deps) -> None:
    dispatcher = CollectingDispatcher()
    await ActionHandoff().run(dispatcher, tracker(verified_account="100003"), {})
    assert "KM-1001" in texts(dispatcher) and "minutes" in texts(dispatcher)


async def test_starting_over_forgets_the_customer_but_not_the_pin_lock(deps: Deps) -> None:
    events = await ActionStartOver().run(
        CollectingDispatcher(), tracker(verified_account="100001"), {}
    )
    reset = slots_set(events)
    assert reset["verified_account"] is None
    assert "verification_locked" not in reset


@pytest.mark.parametrize(
    ("text", "confidence"),
    [("why can't you do it yourself?", 0.9), ("sure", 0.4), ("what would that cost", 0.95)],
)
async def test_a_question_or_an_unsure_yes_is_not_consent(
    deps: Deps, text: str, confidence: float
) -> None:
    offer = CollectingDispatcher()
    events = await ActionOfferLateFeeWaiver().run(offer, tracker(verified_account="100001"), {})
    pending = slots_set(events)["pending_offer"]
    dispatcher = CollectingDispatcher()
    answer = tracker(
        text=text,
        intent="affirm",
        confidence=confidence,
        verified_account="100001",
        pending_offer=pending,
    )
    assert await ActionAffirm().run(dispatcher, answer, {}) == []
    assert "yes or no" in texts(dispatcher)
    assert deps.billing.get_balance_cents("100001") == 11240


async def test_no_the_other_charge_lists_the_bill_so_the_customer_can_choose(deps: Deps) -> None:
    offer = CollectingDispatcher()
    events = await ActionOfferLateFeeWaiver().run(offer, tracker(verified_account="100001"), {})
    pending = slots_set(events)["pending_offer"]
    dispatcher = CollectingDispatcher()
    no = tracker(
        text="no, the other charge", intent="deny", verified_account="100001", pending_offer=pending
    )
    events = await ActionDeny().run(dispatcher, no, {})
    assert slots_set(events) == {"pending_offer": None}
    assert "Which charge do you mean?" in texts(dispatcher)
    assert "International roaming" in texts(dispatcher) and "$32.00" in texts(dispatcher)
    assert deps.billing.get_balance_cents("100001") == 11240
