"""The TMF reference BSS on a real uvicorn: the seed as the wire examples show it, lists and
their pages, errors as TMF Error JSON, the bearer token, the request counters, and every
exchange checked against the TMF specs (validate mode).

Postings and a reset are in test_tmf_reference_postings.py, injected faults in
test_tmf_reference_faults.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from billing_adapters.tmf import vocabulary as v
from tests.integration.tmf_reference_server import (
    SEED_TIME,
    ReferenceServer,
    reference_fixture,  # noqa: F401  (the module's server)
    server_fixture,  # noqa: F401  (... from a clean slate)
)

pytestmark = pytest.mark.integration

ANA, DAVID, ELENA, FARID, GRACE = "100001", "100004", "100005", "100006", "100007"


@pytest.fixture(name="client")
def client_fixture(server: ReferenceServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def test_davids_account_is_the_wire_example(server: ReferenceServer, client: httpx.Client) -> None:
    response = client.get(f"{v.BILLING_ACCOUNT}/{DAVID}")
    assert response.status_code == 200
    body = response.json()
    origin = server.origin
    assert body["id"] == DAVID
    assert body["href"] == f"{origin}{v.BILLING_ACCOUNT}/{DAVID}"
    assert (body["name"], body["accountType"], body["state"]) == ("David Kim", "postpaid", "active")
    assert (body["paymentStatus"], body["underReview"]) == ("upToDate", False)
    assert body["ratePlan"] == {"name": "Unlimited Plus", "price": {"value": 65.0, "unit": "USD"}}
    assert body["relatedParty"] == [
        {"id": DAVID, "name": "David Kim", "role": "customer", "@referredType": "Individual"}
    ]
    [contact] = body["contact"]
    assert contact["contactType"] == "primary" and contact["contactName"] == "David Kim"
    assert contact["validFor"] == {"startDateTime": "2026-11-22T20:54:34Z"}
    assert contact["contactMedium"] == [
        {
            "mediumType": "phone",
            "preferred": True,
            "characteristic": {"phoneNumber": "+15550100004"},
        },
        {"mediumType": "postalAddress", "characteristic": {"postCode": "98101", "country": "US"}},
    ]
    [balance] = body["accountBalance"]
    assert balance["balanceType"] == "outstanding"
    assert balance["amount"] == {"value": 254.1, "unit": "USD"}
    assert balance["validFor"]["startDateTime"].endswith("Z")
    assert (body["@type"], body["@baseType"]) == ("KestrelBillingAccount", "BillingAccount")
    assert body["@schemaLocation"] == (
        f"{origin}/tmf-api/kestrel/v1/schema#/definitions/KestrelBillingAccount"
    )


def test_a_flagged_account_is_up_to_date_and_under_review(client: httpx.Client) -> None:
    grace = client.get(f"{v.BILLING_ACCOUNT}/{GRACE}").json()
    elena = client.get(f"{v.BILLING_ACCOUNT}/{ELENA}").json()
    assert (grace["paymentStatus"], grace["underReview"]) == ("upToDate", True)
    assert (elena["paymentStatus"], elena["underReview"]) == ("pastDue", False)


def test_an_account_is_found_by_its_phone_number(client: httpx.Client) -> None:
    found = client.get(v.BILLING_ACCOUNT, params={v.PHONE_FILTER: "+15550100004"})
    assert found.status_code == 200
    assert [a["id"] for a in found.json()] == [DAVID]
    assert (found.headers["X-Total-Count"], found.headers["X-Result-Count"]) == ("1", "1")
    nobody = client.get(v.BILLING_ACCOUNT, params={v.PHONE_FILTER: "+15559999999"})
    assert nobody.json() == [] and nobody.headers["X-Total-Count"] == "0"


def test_an_unknown_account_is_a_tmf_error(client: httpx.Client) -> None:
    response = client.get(f"{v.BILLING_ACCOUNT}/999999")
    assert response.status_code == 404
    assert response.json() == {
        "code": "404",
        "reason": "Not Found",
        "message": "billingAccount 999999",
        "status": "404",
        "@type": "Error",
    }


def test_unknown_routes_and_bad_parameters_answer_tmf_errors(client: httpx.Client) -> None:
    unknown = client.get("/tmf-api/accountManagement/v4/nothingHere")
    assert unknown.status_code == 404 and unknown.json()["@type"] == "Error"
    wrong_method = client.delete(f"{v.BILLING_ACCOUNT}/{DAVID}")
    assert wrong_method.status_code == 405 and wrong_method.json()["code"] == "405"
    negative = client.get(v.CUSTOMER_BILL, params={v.ACCOUNT_FILTER: ANA, "offset": -1})
    assert negative.status_code == 400 and negative.json()["reason"] == "Bad Request"
    unfiltered = client.get(v.CUSTOMER_BILL)
    assert unfiltered.status_code == 400 and v.ACCOUNT_FILTER in unfiltered.json()["message"]


def test_anas_bills_come_newest_first_with_their_payments(
    server: ReferenceServer, client: httpx.Client
) -> None:
    response = client.get(v.CUSTOMER_BILL, params={v.ACCOUNT_FILTER: ANA})
    current, previous = response.json()
    assert response.headers["X-Total-Count"] == "2"
    assert current == {
        "id": "B-100001-2",
        "href": f"{server.origin}{v.CUSTOMER_BILL}/B-100001-2",
        "billNo": "B-100001-2",
        "billDate": "2026-11-12T20:54:34Z",
        "billingPeriod": {
            "startDateTime": "2026-10-13T20:54:34Z",
            "endDateTime": "2026-11-12T20:54:34Z",
        },
        "paymentDueDate": "2026-12-03T00:00:00Z",
        "amountDue": {"value": 112.4, "unit": "USD"},
        "remainingAmount": {"value": 112.4, "unit": "USD"},
        "state": "sent",
        "lastUpdate": "2026-11-12T20:54:34Z",
        "billingAccount": {"id": ANA, "href": f"{server.origin}{v.BILLING_ACCOUNT}/{ANA}"},
        "category": "normal",
        "runType": "onCycle",
        "@type": "CustomerBill",
    }
    assert previous["id"] == "B-100001-1" and previous["state"] == "settled"
    assert previous["amountDue"] == {"value": 70.15, "unit": "USD"}
    assert previous["remainingAmount"] == {"value": 0.0, "unit": "USD"}
    assert previous["lastUpdate"] == "2026-11-09T20:54:34Z"  # paid at T-13d
    by_id = client.get(f"{v.CUSTOMER_BILL}/B-100001-1")
    assert by_id.json() == previous


def test_anas_lines_come_bill_by_bill_with_the_roaming_characteristics(
    server: ReferenceServer, client: httpx.Client
) -> None:
    response = client.get(v.BILLING_RATE, params={v.ACCOUNT_FILTER: ANA})
    rates = response.json()
    assert [r["id"] for r in rates] == [
        *(f"B-100001-2-L{n}" for n in range(1, 5)),
        "B-100001-1-L1",
        "B-100001-1-L2",
    ]
    assert [r["type"] for r in rates[:4]] == [
        "recurringCharge",
        "roamingUsageCharge",
        "penaltyCharge",
        "taxCharge",
    ]
    roaming = rates[1]
    assert roaming == {
        "id": "B-100001-2-L2",
        "href": f"{server.origin}{v.BILLING_RATE}/B-100001-2-L2",
        "name": "International roaming, Canada",
        "description": "International roaming, Canada",
        "type": "roamingUsageCharge",
        "isBilled": True,
        "date": "2026-11-12T20:54:34Z",
        "bill": {"id": "B-100001-2", "href": f"{server.origin}{v.CUSTOMER_BILL}/B-100001-2"},
        "billingAccount": {"id": ANA, "href": f"{server.origin}{v.BILLING_ACCOUNT}/{ANA}"},
        "taxIncludedAmount": {"value": 32.0, "unit": "USD"},
        "characteristic": [
            {"name": "quantity", "valueType": "integer", "value": 4},
            {"name": "unit", "valueType": "string", "value": "day"},
            {"name": "unitPrice", "valueType": "Money", "value": {"value": 8.0, "unit": "USD"}},
        ],
        "@type": "AppliedCustomerBillingRate",
    }
    assert "characteristic" not in rates[0]
    assert client.get(f"{v.BILLING_RATE}/B-100001-2-L2").json() == roaming


def test_farids_orders_show_the_shipment_and_the_backorder(
    server: ReferenceServer, client: httpx.Client
) -> None:
    shipped, backordered = client.get(v.PRODUCT_ORDER, params={v.ACCOUNT_FILTER: FARID}).json()
    assert shipped["id"] == "ORD-5001" and shipped["state"] == "inProgress"
    assert shipped["expectedCompletionDate"] == "2026-11-24T20:54:34Z"
    assert shipped["billingAccount"]["id"] == FARID
    assert shipped["productOrderItem"] == [
        {"id": "1", "action": "add", "quantity": 1, "state": "inProgress",
         "product": {"name": "Pixel 9a phone"}}
    ]  # fmt: skip
    assert shipped["shipment"] == {
        "carrier": "UPS",
        "trackingNumber": "1Z999AA10123456784",
        "shipDate": "2026-11-20T20:54:34Z",
    }
    assert (shipped["@type"], shipped["@baseType"]) == ("KestrelProductOrder", "ProductOrder")
    assert shipped["@schemaLocation"].startswith(f"{server.origin}/tmf-api/kestrel/v1/schema#")
    assert backordered["id"] == "ORD-5002" and backordered["state"] == "held"
    assert backordered["productOrderItem"][0]["state"] == "held"
    assert "shipment" not in backordered
    assert client.get(f"{v.PRODUCT_ORDER}/ORD-5002").json() == backordered
    nobody = client.get(v.PRODUCT_ORDER, params={v.ACCOUNT_FILTER: "999999"})
    assert nobody.status_code == 200 and nobody.json() == []


def test_incidents_overlapping_the_window_are_listed_by_post_code(
    server: ReferenceServer, client: httpx.Client
) -> None:
    def window(start: timedelta, end: timedelta) -> list[dict[str, object]]:
        params = {
            "postCode": "60614",
            "startDateTime": (SEED_TIME - start).isoformat().replace("+00:00", "Z"),
            "endDateTime": (SEED_TIME - end).isoformat().replace("+00:00", "Z"),
        }
        response = client.get(v.NETWORK_INCIDENT, params=params)
        assert response.status_code == 200, response.text
        found: list[dict[str, object]] = response.json()
        return found

    assert window(timedelta(days=35), timedelta(0)) == [
        {
            "id": "INC-7781",
            "href": f"{server.origin}{v.NETWORK_INCIDENT}/INC-7781",
            "kind": "fullOutage",
            "startDateTime": "2026-10-23T00:00:00Z",
            "endDateTime": "2026-10-27T00:00:00Z",
            "postCode": ["60614"],
            "@type": "NetworkIncident",
        }
    ]
    assert window(timedelta(days=20), timedelta(0)) == []


def test_a_list_is_paged_by_offset_and_limit(client: httpx.Client) -> None:
    page = client.get(v.BILLING_RATE, params={v.ACCOUNT_FILTER: ANA, "offset": 4, "limit": 5})
    assert [r["id"] for r in page.json()] == ["B-100001-1-L1", "B-100001-1-L2"]
    assert (page.headers["X-Total-Count"], page.headers["X-Result-Count"]) == ("6", "2")
    everyone = client.get(v.BILLING_ACCOUNT, params={"limit": 1000})  # capped at 100: all 8
    assert len(everyone.json()) == 8 and everyone.headers["X-Result-Count"] == "8"


def test_the_extension_schema_is_served_where_schema_locations_point(
    client: httpx.Client,
) -> None:
    schema = client.get(v.EXTENSION_SCHEMA).json()
    assert schema["swagger"] == "2.0"
    assert {"KestrelBillingAccount", "KestrelProductOrder"} <= set(schema["definitions"])


def test_without_the_bearer_token_tmf_and_admin_calls_are_refused(
    server: ReferenceServer,
) -> None:
    with httpx.Client(base_url=server.origin, timeout=5) as stranger:
        for path in (f"{v.BILLING_ACCOUNT}/{DAVID}", "/admin/stats"):
            response = stranger.get(path)
            assert response.status_code == 401
            assert response.json()["code"] == "401"
            assert response.headers["WWW-Authenticate"] == "Bearer"
        wrong = stranger.get("/admin/stats", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert stranger.get("/healthz").json() == {"status": "ok"}


def test_stats_count_requests_by_path_template(
    server: ReferenceServer, client: httpx.Client
) -> None:
    client.get(f"{v.BILLING_ACCOUNT}/{DAVID}")
    client.get(f"{v.BILLING_ACCOUNT}/{ANA}")
    client.get(v.CUSTOMER_BILL, params={v.ACCOUNT_FILTER: ANA})
    stats = server.stats()
    assert stats["requests"] == {
        f"GET {v.BILLING_ACCOUNT}/{{id}}": 2,
        f"GET {v.CUSTOMER_BILL}": 1,
    }
    assert (stats["total"], stats["credits"], stats["extensions"]) == (3, 0, 0)
    server.clear_stats()
    assert server.stats()["total"] == 0


def test_every_answer_of_a_tour_conforms_to_the_tmf_specs(
    server: ReferenceServer, client: httpx.Client
) -> None:
    client.get(f"{v.BILLING_ACCOUNT}/{GRACE}")
    client.get(v.BILLING_ACCOUNT, params={v.PHONE_FILTER: "+15550100004"})
    client.get(f"{v.BILLING_ACCOUNT}/999999")
    for collection in (v.CUSTOMER_BILL, v.BILLING_RATE, v.PRODUCT_ORDER):
        client.get(collection, params={v.ACCOUNT_FILTER: FARID, "offset": 0, "limit": 50})
    client.get(f"{v.CUSTOMER_BILL}/B-100001-2")
    client.get(
        v.NETWORK_INCIDENT,
        params={"postCode": "60614", "startDateTime": "2026-10-01T00:00:00Z",
                "endDateTime": "2026-11-22T00:00:00Z"},
    )  # fmt: skip
    client.post(v.PIN_VERIFICATION, json={"billingAccount": {"id": ANA}, "pin": "4321"})
    client.get(v.EXTENSION_SCHEMA)
    report = server.conformance()
    assert report == {"checked": 10, "violations": []}
