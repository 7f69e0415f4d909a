"""A BillingSystem wrapper that injects faults read from a JSON file (test stacks only).

End-to-end fault tests start a stack with ``BSS_FAULT_FILE`` set and write the file while it
runs, so a real action server meets a slow, failing or ambiguous BSS without a restart:

    {"mode": "down" | "refuse" | "timeout" | "timeout_after_apply" | "bug" | "none",
     "calls": "postings" | "all",      which calls are hit (default "postings")
     "delay_s": 0.0}                   added before every hit call

A missing or empty file means no fault. ``bug`` raises a plain RuntimeError: an unexpected
exception, not a domain error.
"""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import Any

from domain.errors import ExternalRefused, ExternalSystemError, ExternalTimeout
from domain.model import Account, Bill, PostingReceipt
from domain.ports import BillingSystem

POSTINGS = frozenset({"post_credit", "extend_due_date"})


class FaultInjectingBilling:
    """Satisfies BillingSystem by delegating to ``inner``, with the faults the file names."""

    def __init__(self, inner: BillingSystem, control: Path) -> None:
        self._inner = inner
        self._control = control

    def _faults(self) -> dict[str, Any]:
        try:
            data = json.loads(self._control.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _inject(self, name: str) -> str:
        """Apply the faults that come before the call; the mode, for those that come after."""
        faults = self._faults()
        if not (faults.get("calls", "postings") == "all" or name in POSTINGS):
            return "none"
        if float(faults.get("delay_s", 0)) > 0:
            time.sleep(float(faults["delay_s"]))
        mode = str(faults.get("mode", "none"))
        if mode == "down":
            raise ExternalSystemError(f"BSS unavailable ({name}, injected)")
        if mode == "refuse":
            raise ExternalRefused(f"BSS refused {name} (injected)")
        if mode == "timeout":
            raise ExternalTimeout(f"BSS timed out on {name} (injected)")
        if mode == "bug":
            raise RuntimeError(f"unexpected failure in {name} (injected)")
        return mode

    def _call(self, name: str, *args: Any) -> Any:
        mode = self._inject(name)
        result = getattr(self._inner, name)(*args)
        if mode == "timeout_after_apply":
            raise ExternalTimeout(f"BSS applied {name} but the answer was lost (injected)")
        return result

    def find_account_id(
        self, *, account_id: str | None = None, phone: str | None = None
    ) -> str | None:
        self._inject("find_account_id")
        return self._inner.find_account_id(account_id=account_id, phone=phone)

    def verify_pin(self, account_id: str, pin: str) -> bool:
        result: bool = self._call("verify_pin", account_id, pin)
        return result

    def get_account(self, account_id: str) -> Account:
        result: Account = self._call("get_account", account_id)
        return result

    def get_bills(self, account_id: str) -> list[Bill]:
        result: list[Bill] = self._call("get_bills", account_id)
        return result

    def get_balance_cents(self, account_id: str) -> int:
        result: int = self._call("get_balance_cents", account_id)
        return result

    def post_credit(
        self, account_id: str, bill_id: str, amount_cents: int, memo: str, idempotency_key: str
    ) -> PostingReceipt:
        result: PostingReceipt = self._call(
            "post_credit", account_id, bill_id, amount_cents, memo, idempotency_key
        )
        return result

    def extend_due_date(
        self, account_id: str, bill_id: str, new_due_date: date, idempotency_key: str
    ) -> None:
        self._call("extend_due_date", account_id, bill_id, new_due_date, idempotency_key)
