"""Whatever customers ask, in whatever order, the bot never applies more than the policy allows.

A simulated ledger records only the credits the policy lets the bot apply; the facts for every
new request are computed from that ledger (rolling window reaching back exactly N days from now,
daily budget over the calendar day in UTC). Afterwards no single adjustment, no account over any
rolling window, and no calendar day has gone past its cap; nor has any account had more than one
late-fee waiver per window, or anything applied under the kill switch or while flagged.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.policy import CreditAsk, Policy, decide_credit
from domain.records import AdjustmentKind, Outcome
from tests.unit.policy_fixtures import (
    LedgerCredit,
    T,
    facts_from_ledger,
    in_window,
    load_policy,
    midnight,
)

DEFAULT_POLICY = load_policy()
ACCOUNT_IDS = ("200001", "200002", "200003", "200004")


@dataclass(frozen=True)
class Request:
    kind: AdjustmentKind
    amount_cents: int
    account: int
    advance: timedelta  # time since the previous request
    toggle_kill_switch: bool


requests = st.builds(
    Request,
    kind=st.sampled_from(AdjustmentKind),
    amount_cents=st.one_of(
        st.integers(0, 50_000), st.integers(0, 3_000), st.sampled_from([0, 500, 2500, 2501])
    ),
    account=st.integers(0, len(ACCOUNT_IDS) - 1),
    advance=st.one_of(
        st.just(timedelta(0)),
        st.builds(timedelta, hours=st.integers(0, 30)),
        st.builds(timedelta, days=st.integers(0, 400), hours=st.integers(0, 23)),
    ),
    toggle_kill_switch=st.integers(0, 4).map(lambda n: n == 0),  # flips now and then
)

policies = st.one_of(
    st.just(DEFAULT_POLICY),
    st.builds(
        lambda per_adj, rolling, daily, window: DEFAULT_POLICY.model_copy(
            update={
                "per_adjustment_cap_cents": per_adj,
                "rolling_cap_cents": rolling,
                "daily_budget_cents": daily,
                "rolling_window_days": window,
            }
        ),
        per_adj=st.integers(0, 30_000),
        rolling=st.integers(0, 60_000),
        daily=st.integers(0, 60_000),
        window=st.sampled_from([1, 30, 365]),
    ),
)


def simulate(
    policy: Policy, asks: list[Request], flagged: frozenset[int], kill_switch: bool = False
) -> list[LedgerCredit]:
    """Run every ask through the policy; only ``apply`` outcomes reach the ledger."""
    ledger: list[LedgerCredit] = []
    now = T
    for ask in asks:
        now += ask.advance
        if ask.toggle_kill_switch:
            kill_switch = not kill_switch
        account_id = ACCOUNT_IDS[ask.account]
        facts = facts_from_ledger(
            account_id,
            now,
            policy,
            ledger,
            flagged=ask.account in flagged,
            kill_switch=kill_switch,
        )
        decision = decide_credit(
            CreditAsk(kind=ask.kind, amount_cents=ask.amount_cents), facts, policy
        )
        if decision.outcome is Outcome.APPLY:
            assert not kill_switch, "the kill switch was on and the bot applied a credit"
            assert ask.account not in flagged, "the bot applied a credit to a flagged account"
            ledger.append(LedgerCredit(account_id, ask.kind, ask.amount_cents, now))
    return ledger


def assert_within_caps(policy: Policy, ledger: list[LedgerCredit]) -> None:
    for credit in ledger:
        assert credit.amount_cents <= policy.per_adjustment_cap_cents

    # A window's total only grows at a credit, so checking the windows ending at each credit
    # covers every window of the policy's length.
    for credit in ledger:
        window_total = sum(
            other.amount_cents
            for other in ledger
            if other.account_id == credit.account_id
            and in_window(other.at, credit.at, policy.rolling_window_days)
        )
        assert window_total <= policy.rolling_cap_cents, (credit, window_total)

    for credit in ledger:
        if credit.kind is AdjustmentKind.LATE_FEE_WAIVER:
            waivers = sum(
                1
                for other in ledger
                if other.account_id == credit.account_id
                and other.kind is AdjustmentKind.LATE_FEE_WAIVER
                and in_window(other.at, credit.at, policy.late_fee_window_days)
            )
            assert waivers <= policy.late_fee_waivers_per_window, (credit, waivers)

    per_day: dict[date, int] = defaultdict(int)
    for credit in ledger:
        per_day[credit.at.date()] += credit.amount_cents
    for day, total in per_day.items():
        assert total <= policy.daily_budget_cents, (day, total)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(
    policy=policies,
    asks=st.lists(requests, max_size=60),
    flagged=st.frozensets(st.integers(0, len(ACCOUNT_IDS) - 1), max_size=2),
    kill_switch=st.booleans(),
)
def test_the_bot_never_applies_more_than_any_cap_allows_whatever_is_asked(
    policy, asks, flagged, kill_switch
):
    ledger = simulate(policy, asks, flagged, kill_switch)

    assert_within_caps(policy, ledger)


def _asks(*specs: tuple[AdjustmentKind, int, int, timedelta]) -> list[Request]:
    return [
        Request(kind, cents, account, advance, False) for kind, cents, account, advance in specs
    ]


def test_the_simulation_fills_the_rolling_cap_exactly_and_then_stops():
    dup = AdjustmentKind.DUPLICATE_CHARGE
    hour = timedelta(hours=1)
    asks = _asks(*[(dup, 2500, 0, hour)] * 3, (dup, 1, 0, hour))

    ledger = simulate(DEFAULT_POLICY, asks, frozenset())

    assert [c.amount_cents for c in ledger] == [2500, 2500]
    assert_within_caps(DEFAULT_POLICY, ledger)


def test_the_rolling_cap_frees_up_exactly_365_days_after_a_credit():
    dup = AdjustmentKind.DUPLICATE_CHARGE
    asks = _asks(
        (dup, 2500, 0, timedelta(0)),
        (dup, 2500, 0, timedelta(days=1)),
        (dup, 2500, 0, timedelta(days=364) - timedelta(seconds=1)),  # first still in window
        (dup, 2500, 0, timedelta(seconds=1)),  # exactly 365 days after the first: it left
    )

    ledger = simulate(DEFAULT_POLICY, asks, frozenset())

    assert [c.at - T for c in ledger] == [timedelta(0), timedelta(days=1), timedelta(days=365)]
    assert_within_caps(DEFAULT_POLICY, ledger)


def test_the_simulation_stops_at_the_daily_budget_and_resumes_the_next_calendar_day():
    tight = DEFAULT_POLICY.model_copy(update={"daily_budget_cents": 5000})
    waiver = AdjustmentKind.LATE_FEE_WAIVER
    minute = timedelta(minutes=1)
    to_midnight = midnight(T) + timedelta(days=1) - (T + 3 * minute)
    asks = _asks(
        (waiver, 2000, 0, minute),
        (waiver, 2000, 1, minute),
        (waiver, 2000, 2, minute),  # 6000 > 5000: human
        (waiver, 2000, 2, to_midnight),  # the next calendar day in UTC: applied
    )

    ledger = simulate(tight, asks, frozenset())

    assert [c.account_id for c in ledger] == ["200001", "200002", "200003"]
    assert ledger[-1].at.date() == T.date() + timedelta(days=1)
    assert_within_caps(tight, ledger)
