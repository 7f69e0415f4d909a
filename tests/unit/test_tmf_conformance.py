"""The conformance checker: the wire examples pass, and each rule catches its violation."""

from __future__ import annotations

import copy
import json
import re
import time
from typing import Any

import pytest
from jsonschema import Draft4Validator

from billing_adapters.tmf import vocabulary as v
from billing_adapters.tmf.conformance import SPEC_DIR, Conformance, Exchange, is_tmf
from tests.unit import tmf_examples as ex

pytestmark = pytest.mark.unit

CHECKER = Conformance.load()
KEY = {v.IDEMPOTENCY_HEADER: "adj_7f3a"}
WINDOW = "startDateTime=2026-09-23T20:54:34Z&endDateTime=2026-11-22T20:54:34.123456Z"
BILLS_URL = f"{v.CUSTOMER_BILL}?{v.ACCOUNT_FILTER}=100001&offset=0&limit=100"
PHONE_URL = f"{v.BILLING_ACCOUNT}?{v.PHONE_FILTER}=%2B15550100004"
INCIDENTS_URL = f"{v.NETWORK_INCIDENT}?postCode=60614&{WINDOW}&offset=0&limit=100"
PAGE = {"X-Total-Count": "2", "X-Result-Count": "2"}


def raw(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return b"" if value is None else json.dumps(value).encode()


def exchange(method: str, path: str, status: int = 200, answer: Any = None, **kw: Any) -> Exchange:
    """``kw``: the request ``body`` and ``headers``, the response's ``answer_headers``."""
    return Exchange(
        method=method,
        url=f"{ex.ORIGIN}{path}" if path.startswith("/") else path,
        request_headers={"Accept": "application/json", **kw.get("headers", {})},
        request_body=raw(kw.get("body")),
        status=status,
        response_headers={"Content-Type": "application/json", **kw.get("answer_headers", {})},
        response_body=raw(answer),
    )


def posting(path: str, status: int, answer: Any, body: Any) -> Exchange:
    return exchange("POST", path, status, answer, body=body, headers=KEY)


def schema_document() -> Any:
    return json.loads((SPEC_DIR / "kestrel-extensions.json").read_text())


ANA, FARID = f"{v.ACCOUNT_FILTER}=100001&offset=0&limit=100", f"{v.ACCOUNT_FILTER}=100006"
GOOD = {
    "the account by id": exchange("GET", f"{v.BILLING_ACCOUNT}/100004", 200, ex.DAVID_ACCOUNT),
    "the account by phone": exchange(
        "GET", PHONE_URL, 200, [ex.DAVID_ACCOUNT], answer_headers=PAGE
    ),
    "the bills": exchange("GET", BILLS_URL, 200, ex.ANA_BILLS, answer_headers=PAGE),
    "the lines": exchange("GET", f"{v.BILLING_RATE}?{ANA}", 200, ex.ANA_LINES),
    "the orders": exchange("GET", f"{v.PRODUCT_ORDER}?{FARID}", 200, ex.FARID_ORDERS),
    "the incidents": exchange("GET", INCIDENTS_URL, 200, ex.OUTAGE_INCIDENTS),
    "a credit": posting(v.ADJUST_BALANCE, 201, ex.CREDIT_ANSWER, ex.CREDIT_REQUEST),
    "its repeat": posting(v.ADJUST_BALANCE, 200, ex.CREDIT_ANSWER, ex.CREDIT_REQUEST),
    "a reused key": posting(v.ADJUST_BALANCE, 409, ex.KEY_REUSED_ERROR, ex.CREDIT_REQUEST),
    "an extension": posting(v.PAYMENT_EXTENSION, 201, ex.EXTENSION_ANSWER, ex.EXTENSION_REQUEST),
    "a PIN check": exchange("POST", v.PIN_VERIFICATION, 200, ex.PIN_ANSWER, body=ex.PIN_REQUEST),
    "the schema": exchange("GET", v.EXTENSION_SCHEMA, 200, schema_document()),
    "an unknown account": exchange("GET", f"{v.BILLING_ACCOUNT}/999999", 404, ex.NOT_FOUND_ERROR),
    "path and query only": exchange("GET", f"{v.CUSTOMER_BILL}/B-100001-2?fields=id,state"),
}


@pytest.mark.parametrize("name", GOOD)
def test_the_wire_examples_conform(name: str) -> None:
    good = GOOD[name]
    if good.response_body == b"":  # a request-only example
        assert CHECKER.check_request(good) == []
    else:
        assert CHECKER.check(good) == []


def bills_with(change: Any) -> Exchange:
    bills = copy.deepcopy(ex.ANA_BILLS)
    change(bills)
    return exchange("GET", BILLS_URL, 200, bills)


def test_money_given_as_a_string_is_named_by_operation_and_json_path() -> None:
    broken = bills_with(lambda bills: bills[0]["amountDue"].update(value="65.0"))
    assert CHECKER.check(broken) == [
        "GET /customerBill: $[0].amountDue.value: '65.0' is not of type 'number'"
    ]


@pytest.mark.parametrize("value", ["2026-11-12 20:54:34", "2026-11-12", "yesterday"])
def test_a_malformed_date_time_is_a_violation(value: str) -> None:
    broken = bills_with(lambda bills: bills[1].update(billDate=value))
    assert CHECKER.check(broken) == [
        f"GET /customerBill: $[1].billDate: '{value}' is not a 'date-time'"
    ]


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", f"{v.BILL_API}/customerBills", "no such path in customer-bill-management.json"),
        ("GET", f"{v.KESTREL_API}/adjustBalance/CR-1", "no such path in kestrel-extensions.json"),
        ("DELETE", f"{v.CUSTOMER_BILL}/B-100001-2", "method not in customer-bill-management.json"),
        ("GET", f"{v.ADJUST_BALANCE}", "method not in kestrel-extensions.json (allowed: POST)"),
    ],
)
def test_an_unknown_path_or_method_is_a_violation(method: str, path: str, expected: str) -> None:
    [problem] = CHECKER.check(exchange(method, path, 404, ex.NOT_FOUND_ERROR))
    assert expected in problem


@pytest.mark.parametrize(
    "query",
    [
        f"{v.ACCOUNT_FILTER}=100001",
        "billingAccount.name=Ana",
        "billDate.gt=2026-10-01T00:00:00Z",
        "relatedParty.role=customer",  # through an array of refs
        "fields=id,billDate&offset=0&limit=5",
    ],
)
def test_filters_resolve_through_the_resource_definition(query: str) -> None:
    assert CHECKER.check_request(exchange("GET", f"{v.CUSTOMER_BILL}?{query}")) == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"{v.CUSTOMER_BILL}?account=100001", "'account': not declared and not an attribute of"),
        (f"{v.CUSTOMER_BILL}?billingAccount.number=1", "'billingAccount.number': not declared"),
        (f"{v.CUSTOMER_BILL}?offset=-1", "'offset': '-1' is not a non-negative integer"),
        (f"{v.CUSTOMER_BILL}?limit=ten", "'limit': 'ten' is not a non-negative integer"),
        (f"{v.CUSTOMER_BILL}/B-1?state=sent", "'state': not declared for this operation"),
        (f"{v.BILLING_ACCOUNT}?contact.phoneNumber=1", "'contact.phoneNumber': not declared"),
        (f"{v.NETWORK_INCIDENT}?{WINDOW}", "'postCode': required but missing"),
        (f"{INCIDENTS_URL}&startDateTime=now", "'startDateTime': 'now' is not a 'date-time'"),
    ],
)
def test_an_undeclared_or_malformed_query_parameter_is_caught(path: str, expected: str) -> None:
    [problem] = CHECKER.check_request(exchange("GET", path))
    assert expected in problem


def test_a_billing_account_without_its_related_party_is_a_violation() -> None:
    # A KestrelBillingAccount must still be a valid TMF BillingAccount.
    account = copy.deepcopy(ex.DAVID_ACCOUNT)
    del account["relatedParty"]
    broken = exchange("GET", f"{v.BILLING_ACCOUNT}/100004", 200, account)
    assert CHECKER.check(broken) == [
        "GET /billingAccount/{id}: $: 'relatedParty' is a required property"
    ]


@pytest.mark.parametrize("status", [418, 503])
def test_an_undeclared_status_is_a_violation(status: int) -> None:
    [problem] = CHECKER.check(exchange("GET", BILLS_URL, status, ex.NOT_FOUND_ERROR))
    assert problem.startswith(f"GET /customerBill: status {status} is not declared (declared: 200")


def test_a_posting_without_its_idempotency_key_is_a_violation() -> None:
    posting = exchange("POST", v.ADJUST_BALANCE, 201, ex.CREDIT_ANSWER, body=ex.CREDIT_REQUEST)
    assert CHECKER.check(posting) == [
        "POST /adjustBalance: header Idempotency-Key: required but missing"
    ]
    lower = exchange(
        "POST", v.PAYMENT_EXTENSION, body=ex.EXTENSION_REQUEST, headers={"idempotency-key": "k"}
    )
    assert CHECKER.check_request(lower) == []  # header names are case-insensitive


def credit_with(**change: Any) -> dict[str, Any]:
    return {**ex.CREDIT_REQUEST, **change}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (None, "POST /adjustBalance: request body: required but missing"),
        (b"{'amount': 5}", "POST /adjustBalance: request body: not JSON"),
        (credit_with(amount={"value": "5", "unit": "USD"}), "$.amount.value: '5' is not of type"),
        (credit_with(amount={"value": 5.0}), "$.amount: 'unit' is a required property"),
        (credit_with(adjustType="debit"), "$.adjustType: 'debit' is not one of ['credit']"),
        (credit_with(description="x" * 501), "$.description: 'xxxxxxxx"),
    ],
)
def test_a_request_body_must_be_json_valid_against_its_schema(body: Any, expected: str) -> None:
    [problem] = CHECKER.check_request(posting(v.ADJUST_BALANCE, 201, None, body))
    assert problem.startswith("POST /adjustBalance: request")
    assert expected in problem


def test_an_extension_field_of_the_wrong_type_is_a_violation() -> None:
    account = {**ex.DAVID_ACCOUNT, "underReview": "no"}
    listed = exchange("GET", PHONE_URL, 200, [account])
    assert CHECKER.check(listed) == [
        "GET /billingAccount (KestrelBillingAccount): $[0].underReview: "
        "'no' is not of type 'boolean'"
    ]
    orders = copy.deepcopy(ex.FARID_ORDERS)
    orders[0]["shipment"]["shipDate"] = "Friday"
    [problem] = CHECKER.check(exchange("GET", f"{v.PRODUCT_ORDER}?offset=0", 200, orders))
    assert problem == (
        "GET /productOrder (KestrelProductOrder): $[0].shipment.shipDate: "
        "'Friday' is not a 'date-time'"
    )


def test_an_extension_type_requires_its_own_required_fields() -> None:
    account = {key: value for key, value in ex.DAVID_ACCOUNT.items() if key != "ratePlan"}
    plain = {**account, "@type": "BillingAccount"}  # not claiming the extension: fine
    assert CHECKER.check(exchange("GET", f"{v.BILLING_ACCOUNT}/100004", 200, plain)) == []
    assert CHECKER.check(exchange("GET", f"{v.BILLING_ACCOUNT}/100004", 200, account)) == [
        "GET /billingAccount/{id} (KestrelBillingAccount): $: 'ratePlan' is a required property"
    ]


@pytest.mark.parametrize("count", ["two", "2.0", ""])
def test_a_non_integer_total_count_is_a_violation(count: str) -> None:
    headers = {"X-Total-Count": count, "X-Result-Count": "2"}
    listed = exchange("GET", BILLS_URL, 200, ex.ANA_BILLS, answer_headers=headers)
    assert CHECKER.check(listed) == [
        f"GET /customerBill: header X-Total-Count: {count!r} is not an integer"
    ]


def test_an_error_body_must_be_a_tmf_error() -> None:
    answer = {"code": "404", "message": "no such account"}
    broken = exchange("GET", f"{v.BILLING_ACCOUNT}/999999", 404, answer)
    assert CHECKER.check(broken) == ["GET /billingAccount/{id}: $: 'reason' is a required property"]
    assert CHECKER.check(exchange("GET", f"{v.BILLING_ACCOUNT}/999999", 404, b"Not Found")) == [
        "GET /billingAccount/{id}: 404 body: not JSON (Expecting value: line 1 column 1 (char 0))"
    ]


@pytest.mark.parametrize(
    "url", ["/healthz", "/admin/faults", "http://127.0.0.1:8090/tmf-api/otherApi/v4/x", "/tmf-api"]
)
def test_exchanges_outside_the_tmf_apis_are_not_checked(url: str) -> None:
    assert not CHECKER.is_tmf(url)
    assert not is_tmf(url)
    assert CHECKER.check(exchange("PUT", url, 204, b"", body=b"not json")) == []
    assert CHECKER.is_tmf(f"{ex.ORIGIN}{v.KESTREL_API}") and CHECKER.is_tmf(BILLS_URL)


def test_the_checker_is_loaded_once_and_checks_an_exchange_in_a_few_milliseconds() -> None:
    assert Conformance.load() is CHECKER and Conformance.load(SPEC_DIR) is CHECKER
    exchanges = list(GOOD.values())
    for each in exchanges:  # the first use builds the validators
        CHECKER.check(each)
    start, rounds = time.perf_counter(), 20
    for each in exchanges * rounds:
        CHECKER.check(each)
    per_check_ms = (time.perf_counter() - start) * 1000 / (rounds * len(exchanges))
    assert per_check_ms < 10, f"{per_check_ms:.2f} ms per exchange"


@pytest.mark.parametrize("file", sorted(p.name for p in SPEC_DIR.glob("*.json")))
def test_every_spec_is_a_structurally_valid_swagger_document(file: str) -> None:
    spec = json.loads((SPEC_DIR / file).read_text(encoding="utf-8"))
    assert spec["swagger"] == "2.0" and spec["info"]["title"] and spec["info"]["version"]
    assert spec["basePath"].startswith("/tmf-api/") and spec["basePath"].endswith("/")
    assert spec["paths"] and all(path.startswith("/") for path in spec["paths"])
    for path, item in spec["paths"].items():
        for method, op in item.items():
            assert method in {"get", "post", "put", "patch", "delete"}, (path, method)
            assert op["responses"], (path, method)
            for param in op.get("parameters", []):
                assert param["in"] in {"query", "header", "path", "body"}, (path, param)
                assert "schema" in param if param["in"] == "body" else "type" in param
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"\{([^}]+)\}", path)), (path, method)
    for ref in re.findall(r'"\$ref": "([^"]*)"', json.dumps(spec)):
        assert ref.startswith("#/definitions/") and ref.split("/")[-1] in spec["definitions"], ref
    for definition in spec["definitions"].values():
        Draft4Validator.check_schema({**definition, "definitions": {}})


def test_the_extension_spec_declares_the_wire_of_the_postings() -> None:
    spec = schema_document()
    assert spec["basePath"] == v.KESTREL_API + "/" and spec["produces"] == ["application/json"]
    for path in (v.ADJUST_BALANCE, v.PAYMENT_EXTENSION):
        op = spec["paths"][path.removeprefix(v.KESTREL_API)]["post"]
        assert {"name": v.IDEMPOTENCY_HEADER, "in": "header", "required": True}.items() <= (
            op["parameters"][0].items()
        )
        assert set(op["responses"]) == {"200", "201", "400", "401", "404", "409", "500"}
    assert spec["definitions"]["Money"]["required"] == ["value", "unit"]
