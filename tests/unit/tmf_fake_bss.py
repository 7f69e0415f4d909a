"""An in-process TMF BSS for httpx.MockTransport: the wire examples of ``tmf_examples``, served
with pagination, idempotent postings and scripted faults, and a clock that never sleeps.

Not the reference BSS (that one runs over real HTTP in the integration tests): just enough of
the contract to drive TmfBss through every path without a network.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import httpx

from billing_adapters.tmf import vocabulary as v
from billing_adapters.tmf.reading import parse_time
from tests.unit import tmf_examples as ex

JSON = dict[str, Any]
ORIGIN = "http://bss.test"
Step = int | Exception | str | None  # a status to answer, an error to raise, "apply-then-timeout"


class FakeTime:
    """monotonic() and sleep() for the client: sleeping only moves the clock."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def error_body(status: int, message: str = "") -> JSON:
    return {"code": str(status), "reason": "Error", "message": message, "status": str(status)}


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)


def ana_account() -> JSON:
    """Ana (100001) on the shape of David's example account."""
    ana = copy.deepcopy(ex.DAVID_ACCOUNT)
    ana.update(id="100001", name="Ana Souza", href=f"{ex.ORIGIN}{v.BILLING_ACCOUNT}/100001")
    ana["relatedParty"][0].update(id="100001", name="Ana Souza")
    ana["contact"][0]["contactMedium"][0]["characteristic"]["phoneNumber"] = "+15550100001"
    ana["contact"][0]["contactMedium"][1]["characteristic"]["postCode"] = "60614"
    ana["accountBalance"][0]["amount"] = ex.usd(112.4)
    return ana


def farid_account() -> JSON:
    farid = copy.deepcopy(ex.DAVID_ACCOUNT)
    farid.update(id="100006", name="Farid Haddad")
    farid["relatedParty"][0].update(id="100006", name="Farid Haddad")
    farid["contact"][0]["contactMedium"][0]["characteristic"]["phoneNumber"] = "+15550100006"
    return farid


@dataclass
class FakeBss:
    accounts: dict[str, JSON] = field(default_factory=dict)
    bills: list[JSON] = field(default_factory=lambda: copy.deepcopy(ex.ANA_BILLS))
    lines: list[JSON] = field(default_factory=lambda: copy.deepcopy(ex.ANA_LINES))
    orders: list[JSON] = field(default_factory=lambda: copy.deepcopy(ex.FARID_ORDERS))
    incidents: list[JSON] = field(default_factory=lambda: copy.deepcopy(ex.OUTAGE_INCIDENTS))
    pins: dict[str, str] = field(default_factory=lambda: {"100001": "4321"})
    max_page: int = 100  # the server's own cap on a page
    total_header: bool = True  # send X-Total-Count
    ignore_filters: bool = False  # serve every item of a collection (a careless BSS)
    steps: list[Step] = field(default_factory=list)  # consumed one per request, first
    requests: list[httpx.Request] = field(default_factory=list)
    credits: dict[str, tuple[JSON, JSON]] = field(default_factory=dict)  # key -> (ask, answer)
    on_request: Callable[[httpx.Request], None] | None = None

    def __post_init__(self) -> None:
        if not self.accounts:
            self.accounts = {a["id"]: a for a in (ex.DAVID_ACCOUNT, ana_account(), farid_account())}

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path.split('/', 4)[-1]}" for r in self.requests]

    # The handler

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.on_request is not None:
            self.on_request(request)
        step = self.steps.pop(0) if self.steps else None
        if isinstance(step, Exception):
            raise step
        if isinstance(step, int):
            return answer(step, error_body(step, "scripted"))
        response = self._route(request)
        if step == "apply-then-timeout":
            raise httpx.ReadTimeout("the answer never came", request=request)
        return response

    def _route(self, request: httpx.Request) -> httpx.Response:
        path, query = request.url.path, request.url.params
        if request.method == "POST":
            body = json.loads(request.content)
            if path == v.PIN_VERIFICATION:
                account_id = body["billingAccount"]["id"]
                verified = self.pins.get(account_id) == body["pin"]
                return answer(200, {"billingAccount": {"id": account_id}, "verified": verified})
            if path == v.ADJUST_BALANCE:
                return self._credit(request, body)
            if path == v.PAYMENT_EXTENSION:
                return self._extension(body)
        if path.startswith(v.BILLING_ACCOUNT + "/"):
            raw = request.url.raw_path.split(b"?")[0].rsplit(b"/", 1)[1]
            found = self.accounts.get(unquote(raw.decode()))
            return answer(200, found) if found else answer(404, error_body(404, "no account"))
        owner = query.get(v.ACCOUNT_FILTER)
        if path == v.BILLING_ACCOUNT:
            phone = query.get(v.PHONE_FILTER)
            return self._page(request, [a for a in self.accounts.values() if _phone(a) == phone])
        if path == v.CUSTOMER_BILL:
            return self._page(request, [b for b in self.bills if _owner(b) == owner])
        if path == v.BILLING_RATE:
            return self._page(request, [ln for ln in self.lines if _owner(ln) == owner])
        if path == v.PRODUCT_ORDER:
            return self._page(request, [o for o in self.orders if _owner(o) == owner])
        if path == v.NETWORK_INCIDENT:
            start, end = (parse_time(query[k], k) for k in ("startDateTime", "endDateTime"))
            return self._page(
                request,
                [i for i in self.incidents if _touches(i, query["postCode"], start, end)],
            )
        return answer(404, error_body(404, f"no route {path}"))

    def _page(self, request: httpx.Request, items: list[JSON]) -> httpx.Response:
        if self.ignore_filters:
            path = request.url.path
            items = {
                v.BILLING_ACCOUNT: list(self.accounts.values()),
                v.CUSTOMER_BILL: self.bills,
                v.BILLING_RATE: self.lines,
                v.PRODUCT_ORDER: self.orders,
                v.NETWORK_INCIDENT: self.incidents,
            }[path]
        offset = int(request.url.params.get("offset", 0))
        limit = min(int(request.url.params.get("limit", self.max_page)), self.max_page)
        page = items[offset : offset + limit]
        headers = {"X-Result-Count": str(len(page))}
        if self.total_header:
            headers["X-Total-Count"] = str(len(items))
        return answer(200, page, headers)

    def _credit(self, request: httpx.Request, body: JSON) -> httpx.Response:
        key = request.headers[v.IDEMPOTENCY_HEADER]
        ask = {k: body[k] for k in ("amount", "billingAccount", "bill")}
        if key in self.credits:
            first_ask, first_answer = self.credits[key]
            if first_ask != ask:
                return answer(409, ex.KEY_REUSED_ERROR)
            return answer(200, first_answer)
        bill = next((b for b in self.bills if b["id"] == body["bill"]["id"]), None)
        if bill is None or _owner(bill) != body["billingAccount"]["id"]:
            return answer(404, error_body(404, "no such bill on the account"))
        if body["amount"]["value"] <= 0:
            return answer(400, error_body(400, "amount must be positive"))
        reply = {**copy.deepcopy(ex.CREDIT_ANSWER), "id": f"CR-{len(self.credits) + 1:010d}"}
        reply.update(amount=body["amount"], description=body["description"])
        self.credits[key] = (ask, reply)
        return answer(201, reply)

    def _extension(self, body: JSON) -> httpx.Response:
        bill = next((b for b in self.bills if b["id"] == body["bill"]["id"]), None)
        if bill is None or _owner(bill) != body["billingAccount"]["id"]:
            return answer(404, error_body(404, "no such bill on the account"))
        if body["newPaymentDueDate"] <= bill["paymentDueDate"]:
            return answer(400, error_body(400, "the new due date must be later"))
        bill["paymentDueDate"] = body["newPaymentDueDate"]
        return answer(201, {**ex.EXTENSION_ANSWER, "newPaymentDueDate": body["newPaymentDueDate"]})


def _owner(item: JSON) -> str:
    return str(item["billingAccount"]["id"])


def _phone(account: JSON) -> str:
    return str(account["contact"][0]["contactMedium"][0]["characteristic"]["phoneNumber"])


def _touches(incident: JSON, zip_code: str, start: datetime, end: datetime) -> bool:
    starts = parse_time(incident["startDateTime"], "start")
    ends = parse_time(incident["endDateTime"], "end")
    return zip_code in incident["postCode"] and starts < end and ends > start
