"""The sandbox upstream APIs, served by a real uvicorn on 127.0.0.1 and exercised with httpx."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from xml.etree import ElementTree

import httpx
import pytest

from sandbox import (
    API_NAMES,
    Fault,
    SandboxSettings,
    create_app,
    faults_from_env,
    parse_fault_spec,
)
from sandbox.data import Dataset
from sandbox.keys import customer_ref, member_number
from sandbox.server import run_in_thread

SETTINGS = SandboxSettings(customers=1_000, seed=7)
LTY = "{urn:example:loyalty}"


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return Dataset(SETTINGS)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with run_in_thread(create_app(SETTINGS)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=5) as client:
        client.delete("/_faults").raise_for_status()
        client.post("/_stats/reset").raise_for_status()
        yield client


def members_in(dataset: Dataset, count: int) -> list[str]:
    return [str(i) for i in dataset.ids() if dataset.loyalty(str(i)) is not None][:count]


# --- data ---


def test_same_seed_gives_same_data_and_another_seed_differs() -> None:
    first, again = Dataset(SETTINGS), Dataset(SETTINGS)
    other = Dataset(SandboxSettings(customers=1_000, seed=8))
    ids = [str(i) for i in range(1, 51)]
    assert [first.customer(i) for i in ids] == [again.customer(i) for i in ids]
    assert [first.orders(i) for i in ids] == [again.orders(i) for i in ids]
    assert [first.customer(i) for i in ids] != [other.customer(i) for i in ids]


def test_generated_records_keep_their_invariants(dataset: Dataset) -> None:
    currencies = {"DE": "EUR", "GB": "GBP", "US": "USD", "SE": "SEK", "JP": "JPY"}
    for customer_id in map(str, range(1, 201)):
        customer = dataset.customer(customer_id)
        assert customer is not None
        assert customer.email == customer.email.lower()
        assert customer.email.endswith(f"{customer_id}@example.com")
        assert customer.created_at <= customer.updated_at
        orders = dataset.orders(customer_id)
        assert [o.placed_at for o in orders] == sorted((o.placed_at for o in orders), reverse=True)
        for order in orders:
            assert order.placed_at >= customer.created_at
            assert order.amount_minor == sum(
                line.qty * line.unit_price_minor for line in order.lines
            )
            assert order.currency == currencies.get(customer.country, "EUR")
        member = dataset.loyalty(customer_id)
        if member is not None:
            assert member.number == member_number(customer_id)
            assert member.member_since >= customer.created_at.date()
        assert 1 <= len(dataset.preferences(customer_id)) <= 4
    assert dataset.customer("0") is None
    assert dataset.customer("1001") is None
    assert member_number("42") == "M-000042"
    assert customer_ref("42") == "C0000042"


# --- CRM ---


def test_crm_batch_returns_asked_customers_in_order_and_lists_missing(
    client: httpx.Client, dataset: Dataset
) -> None:
    response = client.get("/crm/customers/batch", params={"ids": "3,1,99999,3"})
    assert response.status_code == 200
    body = response.json()
    assert [record["id"] for record in body["data"]] == ["3", "1"]
    assert body["missing"] == ["99999"]
    customer = dataset.customer("3")
    assert customer is not None
    assert body["data"][0] == {
        "id": "3",
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": customer.email,
        "phone": customer.phone,
        "birth_date": customer.birth_date.isoformat(),
        "country": customer.country,
        "city": customer.city,
        "segment": customer.segment,
        "created_at": customer.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": customer.updated_at.isoformat().replace("+00:00", "Z"),
    }


def test_crm_sparse_fieldset_returns_only_those_attributes_and_id(
    client: httpx.Client, dataset: Dataset
) -> None:
    batch = client.get("/crm/customers/batch", params={"ids": "5", "fields": "email,segment"})
    single = client.get("/crm/customers/5", params={"fields": "email"})
    customer = dataset.customer("5")
    assert customer is not None
    assert batch.json()["data"] == [
        {"id": "5", "email": customer.email, "segment": customer.segment}
    ]
    assert single.json() == {"data": {"id": "5", "email": customer.email}}
    assert client.get("/crm/customers/5", params={"fields": "email,shoe_size"}).status_code == 400


def test_unknown_single_customer_is_not_found(client: httpx.Client) -> None:
    response = client.get("/crm/customers/99999")
    assert response.status_code == 404
    assert response.json() == {"error": "not found"}


def test_crm_list_pages_through_customers_updated_since(
    client: httpx.Client, dataset: Dataset
) -> None:
    since = datetime(2026, 6, 1, tzinfo=UTC)
    customers = [dataset.customer(str(i)) for i in dataset.ids()]
    expected = [c.id for c in customers if c is not None and c.updated_at >= since]
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 7, "updated_since": "2026-06-01T02:00:00+02:00"}
    while True:
        page = client.get("/crm/customers", params=params).json()
        assert len(page["data"]) <= 7
        seen += [record["id"] for record in page["data"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == expected
    assert 0 < len(expected) < 1000


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 101},
        {"limit": 0},
        {"cursor": "not-a-cursor"},
        {"updated_since": "yesterday"},
        {"updated_since": "2024-01-01T00:00:00"},
    ],
)
def test_crm_list_refuses_bad_parameters(client: httpx.Client, params: dict[str, object]) -> None:
    response = client.get("/crm/customers", params=params)  # type: ignore[arg-type]
    assert response.status_code == 400
    assert response.json()["error"]


# --- orders ---


def test_orders_batch_is_one_flat_list_grouped_by_customer_newest_first(
    client: httpx.Client, dataset: Dataset
) -> None:
    ids = ["4", "2", "99999"]
    body = client.get("/orders/orders", params={"customer_ids": ",".join(ids)}).json()
    expected = [order.order_id for customer_id in ids for order in dataset.orders(customer_id)]
    assert [order["order_id"] for order in body["orders"]] == expected
    assert body["missing"] == ["99999"]
    for order in body["orders"]:
        assert order["amount_minor"] == sum(
            line["qty"] * line["unit_price_minor"] for line in order["lines"]
        )


def test_orders_sparse_fields_keep_order_and_customer_ids(client: httpx.Client) -> None:
    params: dict[str, str | int] = {
        "customer_ids": "2,4",
        "fields": "amount_minor",
        "limit_per_customer": 1,
    }
    body = client.get("/orders/orders", params=params).json()
    assert body["orders"]
    assert all(
        set(order) == {"order_id", "customer_id", "amount_minor"} for order in body["orders"]
    )
    assert len({order["customer_id"] for order in body["orders"]}) == len(body["orders"])


def test_orders_of_one_customer_page_with_cursor(client: httpx.Client, dataset: Dataset) -> None:
    customer_id = next(str(i) for i in dataset.ids() if len(dataset.orders(str(i))) >= 5)
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 2}
    while True:
        page = client.get(f"/orders/customers/{customer_id}/orders", params=params).json()
        seen += [order["order_id"] for order in page["orders"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == [order.order_id for order in dataset.orders(customer_id)]


# --- loyalty ---


def test_loyalty_lookup_answers_namespaced_xml_members(
    client: httpx.Client, dataset: Dataset
) -> None:
    ids = members_in(dataset, 3)
    non_member = next(str(i) for i in dataset.ids() if dataset.loyalty(str(i)) is None)
    numbers = [member_number(i) for i in [*ids, non_member]]
    body = "".join(f"<number>{n}</number>" for n in numbers)
    response = client.post(
        "/loyalty/members/lookup",
        content=f'<lookup xmlns="urn:example:loyalty">{body}</lookup>',
        headers={"content-type": "application/xml"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert 'xmlns:lty="urn:example:loyalty"' in response.text
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{LTY}members"
    answered = [
        (
            m.get("number"),
            m.findtext(f"{LTY}tier"),
            m.findtext(f"{LTY}points"),
            m.findtext(f"{LTY}since"),
        )
        for m in root
    ]
    expected = []
    for customer_id in ids:
        member = dataset.loyalty(customer_id)
        assert member is not None
        expected.append(
            (member.number, member.tier, f"{member.points:,}", member.member_since.isoformat())
        )
    assert answered == expected


def test_loyalty_single_member_and_unknown_number(client: httpx.Client, dataset: Dataset) -> None:
    number = member_number(members_in(dataset, 1)[0])
    found = client.get(f"/loyalty/members/{number}")
    assert ElementTree.fromstring(found.content).get("number") == number
    assert client.get("/loyalty/members/M-999999").status_code == 404
    assert client.get("/loyalty/members/42").status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        b"<lookup",
        b"<lookup><number>M-000001</number></lookup>",
        b'<lookup xmlns="urn:example:loyalty"><number>M-1</number></lookup>',
        b'<!DOCTYPE x [<!ENTITY a "aaaa">]><lookup xmlns="urn:example:loyalty">&a;</lookup>',
    ],
)
def test_loyalty_refuses_bad_lookup_with_xml_error(client: httpx.Client, body: bytes) -> None:
    response = client.post("/loyalty/members/lookup", content=body)
    assert response.status_code == 400
    assert ElementTree.fromstring(response.content).tag == "error"


# --- preferences ---


def test_preferences_export_is_semicolon_csv_with_byte_order_mark(
    client: httpx.Client, dataset: Dataset
) -> None:
    refs = [customer_ref("8"), customer_ref("9"), customer_ref("99999")]
    response = client.get("/preferences/export", params=[("customer", ref) for ref in refs])
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["customer_ref", "channel", "opt_in", "language", "updated"]
    expected = [
        [
            p.customer_ref,
            p.channel,
            "Y" if p.opt_in else "N",
            p.language,
            p.updated.strftime("%d.%m.%Y"),
        ]
        for customer_id in ("8", "9")
        for p in dataset.preferences(customer_id)
    ]
    assert rows[1:] == expected


# --- limits shared by all APIs ---


def oversized_request(client: httpx.Client, api: str, count: int) -> httpx.Response:
    ids = [str(i) for i in range(1, count + 1)]
    if api == "crm":
        return client.get("/crm/customers/batch", params={"ids": ",".join(ids)})
    if api == "orders":
        return client.get("/orders/orders", params={"customer_ids": ",".join(ids)})
    if api == "loyalty":
        body = "".join(f"<number>{member_number(i)}</number>" for i in ids)
        lookup = f'<lookup xmlns="urn:example:loyalty">{body}</lookup>'
        return client.post("/loyalty/members/lookup", content=lookup)
    return client.get("/preferences/export", params=[("customer", customer_ref(i)) for i in ids])


@pytest.mark.parametrize(
    ("api", "max_batch"), [("crm", 100), ("orders", 50), ("loyalty", 100), ("preferences", 200)]
)
def test_batches_above_max_size_are_refused(client: httpx.Client, api: str, max_batch: int) -> None:
    assert oversized_request(client, api, max_batch).status_code == 200
    assert oversized_request(client, api, max_batch + 1).status_code == 400


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/crm/customers/batch", {"ids": "1,abc"}),
        ("/crm/customers/batch", {"ids": "1,,2"}),
        ("/crm/customers/-3", {}),
        ("/orders/orders", {"customer_ids": "007"}),
        ("/orders/customers/x/orders", {}),
        ("/preferences/export", {"customer": "42"}),
    ],
)
def test_malformed_ids_are_refused(client: httpx.Client, path: str, params: dict[str, str]) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 400
    assert "error" in response.json()


# --- stats ---


def test_stats_count_requests_with_the_keys_each_asked_for(client: httpx.Client) -> None:
    client.get("/crm/customers/batch", params={"ids": "1,2"})
    client.get("/crm/customers")
    client.get("/orders/orders", params={"customer_ids": "3"})
    client.post(
        "/loyalty/members/lookup",
        content=b'<lookup xmlns="urn:example:loyalty"><number>M-000042</number></lookup>',
    )
    client.get("/preferences/export", params={"customer": "C0000042"})
    client.get("/crm/openapi.json")
    stats = client.get("/_stats").json()
    assert {api: stats[api]["requests"] for api in API_NAMES} == {
        "crm": 2,
        "orders": 1,
        "loyalty": 1,
        "preferences": 1,
        "support": 0,
    }
    assert stats["crm"]["ids"] == [["1", "2"], []]
    assert stats["orders"]["ids"] == [["3"]]
    assert stats["loyalty"]["ids"] == [["M-000042"]]
    assert stats["preferences"]["ids"] == [["C0000042"]]
    event = stats["crm"]["events"][0]
    assert (event["method"], event["path"]) == ("GET", "/crm/customers/batch")
    assert event["arrived"] < event["answered"]

    client.post("/_stats/reset")
    emptied = client.get("/_stats").json()
    assert all(s == {"requests": 0, "ids": [], "events": []} for s in emptied.values())


def test_concurrent_requests_all_arrive_before_any_is_answered(client: httpx.Client) -> None:
    client.put("/_faults", json={api: {"latency_ms": 150} for api in API_NAMES})
    calls = [
        lambda: client.get("/crm/customers/batch", params={"ids": "1"}),
        lambda: client.get("/orders/orders", params={"customer_ids": "1"}),
        lambda: client.get("/loyalty/members/M-000001"),
        lambda: client.get("/preferences/export", params={"customer": "C0000001"}),
    ]
    with ThreadPoolExecutor(len(calls)) as pool:
        list(pool.map(lambda call: call(), calls))
    stats = client.get("/_stats").json()
    events = [event for api in API_NAMES for event in stats[api]["events"]]
    assert len(events) == 4
    assert max(e["arrived"] for e in events) < min(e["answered"] for e in events)
    numbers = [e["arrived"] for e in events] + [e["answered"] for e in events]
    assert len(set(numbers)) == 8


# --- faults ---


def test_injected_failure_answers_configured_status_and_retry_after(client: httpx.Client) -> None:
    client.put("/_faults", json={"orders": {"failure_rate": 1.0, "status": 503, "retry_after": 2}})
    response = client.get("/orders/orders", params={"customer_ids": "1"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert response.json() == {"error": "injected failure"}
    assert client.get("/crm/customers/1").status_code == 200
    assert client.get("/_stats").json()["orders"]["ids"] == [["1"]]


def test_fail_next_fails_exactly_that_many_requests(client: httpx.Client) -> None:
    client.put("/_faults", json={"crm": {"fail_next": 2, "status": 502}})
    statuses = [client.get("/crm/customers/1").status_code for _ in range(3)]
    assert statuses == [502, 502, 200]
    assert client.get("/_faults").json()["crm"]["fail_next"] == 0


def test_latency_delays_the_answer(client: httpx.Client) -> None:
    client.put("/_faults", json={"preferences": {"latency_ms": 120}})
    assert client.get("/_faults").json()["preferences"]["latency_ms"] == 120
    started = time.perf_counter()
    client.get("/preferences/export", params={"customer": "C0000001"})
    assert time.perf_counter() - started >= 0.12


def test_hang_answers_nothing_until_the_client_gives_up(client: httpx.Client) -> None:
    client.put("/_faults", json={"loyalty": {"hang": True}})
    with pytest.raises(httpx.ReadTimeout):
        client.get("/loyalty/members/M-000001", timeout=0.2)
    assert client.get("/_stats").json()["loyalty"]["events"][0]["answered"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"billing": {"latency_ms": 1}},
        {"crm": {"latency": 1}},
        {"crm": {"failure_rate": 2}},
        {"crm": {"hang": "sometimes"}},
        ["crm"],
    ],
)
def test_bad_fault_update_is_refused_and_changes_nothing(
    client: httpx.Client, body: object
) -> None:
    before = client.get("/_faults").json()
    assert client.put("/_faults", json=body).status_code == 400
    assert client.get("/_faults").json() == before


def test_app_counts_down_its_own_copy_of_configured_faults() -> None:
    settings = SandboxSettings(customers=10, faults={"crm": Fault(fail_next=1)})
    with run_in_thread(create_app(settings)) as url:
        assert httpx.get(f"{url}/crm/customers/1").status_code == 500
        assert httpx.get(f"{url}/crm/customers/1").status_code == 200
    assert settings.faults["crm"].fail_next == 1


# --- writes ---


def test_patch_applies_change_and_bumps_updated_at(client: httpx.Client) -> None:
    before = client.get("/crm/customers/20").json()["data"]
    response = client.patch("/crm/customers/20", json={"city": "Zürich", "segment": "vip"})
    after = client.get("/crm/customers/20").json()["data"]
    assert response.json()["data"] == after
    assert (after["city"], after["segment"]) == ("Zürich", "vip")
    assert after["updated_at"] > before["updated_at"]
    assert client.patch("/crm/customers/20", json={"country": "FR"}).status_code == 400
    assert client.patch("/crm/customers/99999", json={"city": "X"}).status_code == 404


def test_same_idempotency_key_applies_a_patch_once(client: httpx.Client) -> None:
    keyed = {"Idempotency-Key": "patch-21-a"}
    first = client.patch("/crm/customers/21", json={"city": "Lisboa"}, headers=keyed)
    client.patch("/crm/customers/21", json={"city": "Porto"})
    repeat = client.patch("/crm/customers/21", content=b'{ "city" : "Lisboa" }', headers=keyed)
    assert (repeat.status_code, repeat.content) == (first.status_code, first.content)
    assert client.get("/crm/customers/21").json()["data"]["city"] == "Porto"


def test_idempotency_key_reused_for_another_body_is_rejected(client: httpx.Client) -> None:
    keyed = {"Idempotency-Key": "patch-22-a"}
    client.patch("/crm/customers/22", json={"city": "Lisboa"}, headers=keyed)
    response = client.patch("/crm/customers/22", json={"city": "Faro"}, headers=keyed)
    assert response.status_code == 422
    assert client.get("/crm/customers/22").json()["data"]["city"] == "Lisboa"


@pytest.mark.parametrize("http", ["httptools", "h11"])
def test_dropped_write_is_applied_but_client_sees_connection_error(http: str) -> None:
    settings = SandboxSettings(customers=10, faults={"crm": Fault(drop_after_apply=1)})
    with (
        run_in_thread(create_app(settings), http=http) as url,
        httpx.Client(base_url=url) as client,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            client.patch("/crm/customers/3", json={"city": "Dropped"})
        assert client.get("/crm/customers/3").json()["data"]["city"] == "Dropped"
        assert client.patch("/crm/customers/3", json={"city": "Kept"}).status_code == 200
        event = client.get("/_stats").json()["crm"]["events"][0]
        assert event["answered"] is None


def _channel_rows(client: httpx.Client, customer_id: str) -> dict[str, list[str]]:
    response = client.get("/preferences/export", params={"customer": customer_ref(customer_id)})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    return {row[1]: row for row in rows[1:]}


def test_put_sets_one_channel_and_the_export_shows_it(client: httpx.Client) -> None:
    path = f"/preferences/customers/{customer_ref('30')}/channels/sms"
    response = client.put(path, data={"opt_in": "Y", "language": "fr"})
    assert response.status_code == 200
    today = datetime.now(UTC).strftime("%d.%m.%Y")
    assert _channel_rows(client, "30")["sms"] == [customer_ref("30"), "sms", "Y", "fr", today]
    assert client.put(path, data={"opt_in": "maybe"}).status_code == 400
    assert client.put(path, data={"opt_in": "Y", "colour": "red"}).status_code == 400
    assert client.put(path.replace("sms", "fax"), data={"opt_in": "Y"}).status_code == 400
    missing = f"/preferences/customers/{customer_ref('99999')}/channels/sms"
    assert client.put(missing, data={"opt_in": "Y"}).status_code == 404


def test_same_idempotency_key_applies_a_put_once(client: httpx.Client) -> None:
    path = f"/preferences/customers/{customer_ref('31')}/channels/email"
    keyed = {"Idempotency-Key": "put-31-a"}
    first = client.put(path, data={"opt_in": "Y"}, headers=keyed)
    client.put(path, data={"opt_in": "N"})
    repeat = client.put(path, data={"opt_in": "Y"}, headers=keyed)
    assert (repeat.status_code, repeat.content) == (first.status_code, first.content)
    assert _channel_rows(client, "31")["email"][2] == "N"
    assert client.put(path, data={"opt_in": "N"}, headers=keyed).status_code == 422
    assert client.get("/_stats").json()["preferences"]["ids"][0] == [customer_ref("31")]


# --- control and documents ---


def test_health_and_openapi_documents(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    # The support desk is GraphQL: its document is its schema (tests/test_sandbox_support.py).
    for api in ("crm", "orders", "loyalty", "preferences"):
        document = client.get(f"/{api}/openapi.json").json()
        assert document["openapi"] == "3.0.3"
        assert document["servers"] == [{"url": f"/{api}"}]
        operations = [op for path in document["paths"].values() for op in path.values()]
        assert all(op["operationId"] for op in operations)
    assert all(s["requests"] == 0 for s in client.get("/_stats").json().values())


# --- fault settings from text ---


def test_fault_spec_sets_named_apis_and_star_sets_all() -> None:
    faults = parse_fault_spec("*=latency_ms:20; crm=failure_rate:0.3,retry_after:1,hang:true")
    assert set(faults) == set(API_NAMES)
    assert faults["crm"] == Fault(latency_ms=20, failure_rate=0.3, retry_after=1, hang=True)
    assert faults["orders"] == Fault(latency_ms=20)
    assert parse_fault_spec("orders=fail_next:2") == {"orders": Fault(fail_next=2)}
    assert parse_fault_spec("") == {}


def test_fault_spec_layers_over_a_base() -> None:
    base = {"crm": Fault(latency_ms=5), "orders": Fault(status=503)}
    faults = parse_fault_spec("crm=failure_rate:0.5", base=base)
    assert faults == {"crm": Fault(latency_ms=5, failure_rate=0.5), "orders": Fault(status=503)}
    assert base["crm"] == Fault(latency_ms=5)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("billing=latency_ms:1", "unknown API 'billing'"),
        ("crm=latency:1", "unknown fault setting 'latency'"),
        ("crm=latency_ms:fast", "must be a number"),
        ("crm=fail_next:1.5", "must be a number"),
        ("crm=failure_rate:1.5", "failure_rate must be between 0 and 1"),
        ("crm", "must look like 'api=key:value,...'"),
        ("crm=latency_ms", "must look like key:value"),
    ],
)
def test_bad_fault_spec_says_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_fault_spec(spec)


def test_faults_from_env_layers_spec_over_global_settings() -> None:
    environ = {
        "SANDBOX_LATENCY_MS": "15",
        "SANDBOX_FAILURE_RATE": "0.1",
        "SANDBOX_FAULTS": "loyalty=failure_rate:0",
    }
    faults = faults_from_env(environ)
    assert faults["crm"] == Fault(latency_ms=15, failure_rate=0.1)
    assert faults["loyalty"] == Fault(latency_ms=15, failure_rate=0.0)
    assert faults_from_env({}) == {}
    with pytest.raises(ValueError, match="bad sandbox fault environment"):
        faults_from_env({"SANDBOX_LATENCY_MS": "-1"})
