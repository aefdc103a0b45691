"""What upstreams send is validated: bad data fails only what it touches, typed and counted.

A scripted upstream replaces the loyalty (JSON or XML) and preferences (CSV) APIs and
answers whatever body and content type a test gives it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response

from gateway.settings import Settings
from sandbox.server import run_in_thread
from tests.conftest import Gateway, Sandbox
from tests.upstreams import Upstream, shipped_config, write_settings

LOYALTY_PATH = "/loyalty/members"
PREFERENCES_PATH = "/prefs/export.csv"


@dataclass
class Script:
    """The body and content type the scripted upstream answers, per path."""

    answers: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    def answer(self, path: str, body: bytes | str, content_type: str) -> None:
        self.answers[path] = (body.encode() if isinstance(body, str) else body, content_type)


def _scripted_app(upstream: Upstream, script: Script) -> object:
    async def answer(request: Request) -> Response:
        body, content_type = script.answers[request.url.path]
        return Response(body, headers={"content-type": content_type})

    return upstream.app({LOYALTY_PATH: ("GET", answer), PREFERENCES_PATH: ("GET", answer)})


def scripted_sources(url: str, loyalty_format: str) -> str:
    """Loyalty in ``loyalty_format`` and preferences in CSV, both from the scripted upstream."""
    # The member number is a JSON key, or an attribute in XML.
    records, number = ("members", "id") if loyalty_format == "json" else ("members.member", '"@id"')
    return f"""
[sources.loyalty]
base_url = "{url}/loyalty"
format = "{loyalty_format}"
entity = "loyalty"
ttl = 0  # every query reaches the scripted upstream
key_template = "L-{{id}}"

[sources.loyalty.batch]
path = "/members"
ids = {{ style = "comma", name = "ids" }}
records = "{records}"
key = '{number}'

[sources.loyalty.fields]
member_number = {{ path = '{number}', required = true }}
tier = {{ path = "tier" }}
points = {{ path = "points", type = "int" }}
member_since = {{ path = "since", type = "date" }}

[sources.preferences]
base_url = "{url}/prefs"
format = "csv"
entity = "preferences"
ttl = 0  # every query reaches the scripted upstream

[sources.preferences.batch]
path = "/export.csv"
ids = {{ style = "repeat", name = "c" }}
records = "@"
key = "customer"

[sources.preferences.fields]
channel = {{ path = "channel", required = true }}
opt_in = {{ path = "opt_in", type = "bool" }}
language = {{ path = "language" }}
updated_at = {{ path = "updated", type = "date" }}
"""


GOOD_JSON = (
    '{"members": [{"id": "L-1", "tier": "gold", "points": 10, "since": "2020-01-02"},'
    ' {"id": "L-2", "tier": "silver", "points": 20, "since": "2021-02-03"},'
    ' {"id": "L-3", "tier": "bronze", "points": 30, "since": "2022-03-04"}]}'
)
GOOD_XML = (
    '<?xml version="1.0"?><members>'
    '<member id="L-1"><tier>gold</tier><points>10</points><since>2020-01-02</since></member>'
    '<member id="L-2"><tier>silver</tier><points>20</points><since>2021-02-03</since></member>'
    '<member id="L-3"><tier>bronze</tier><points>30</points><since>2022-03-04</since></member>'
    "</members>"
)
GOOD_CSV = (
    "customer,channel,opt_in,language,updated\r\n"
    "1,email,true,en,2024-01-01\r\n2,sms,false,de,2024-01-02\r\n3,email,true,fr,2024-01-03\r\n"
)
GOOD_LOYALTY = [
    {"tier": "GOLD", "points": 10},
    {"tier": "SILVER", "points": 20},
    {"tier": "BRONZE", "points": 30},
]

QUERY = """
{ customers(ids: ["1", "2", "3"]) {
    id email loyalty { memberNumber tier points memberSince } preferences { channel optIn } } }
"""
SHORT_QUERY = '{ customers(ids: ["1", "2", "3"]) { id loyalty { tier points } } }'


@dataclass
class ScriptedGateway:
    gateway: Gateway
    upstream: Upstream
    script: Script

    def query(self, text: str = QUERY) -> Any:
        return self.gateway.query(text)


@pytest.fixture(scope="module")
def scripted() -> Iterator[tuple[str, Upstream, Script]]:
    upstream, script = Upstream(), Script()
    with run_in_thread(_scripted_app(upstream, script)) as url:  # type: ignore[arg-type]
        yield url, upstream, script


def _gateway_fixture(loyalty_format: str) -> Any:
    @pytest.fixture
    def fixture(
        scripted: tuple[str, Upstream, Script],
        sandbox: Sandbox,
        tmp_path: Path,
        start_gateway: Callable[[Settings], AbstractContextManager[str]],
    ) -> Iterator[ScriptedGateway]:
        url, upstream, script = scripted
        upstream.reset()
        script.answer(LOYALTY_PATH, GOOD_JSON, "application/json")
        script.answer(PREFERENCES_PATH, GOOD_CSV, "text/csv")
        text = shipped_config(without=["loyalty", "preferences"])
        settings = write_settings(
            tmp_path, text + scripted_sources(url, loyalty_format), SANDBOX_URL=sandbox.url
        )
        with start_gateway(settings) as gateway_url:
            yield ScriptedGateway(Gateway(gateway_url), upstream, script)

    return fixture


json_gateway = _gateway_fixture("json")
xml_gateway = _gateway_fixture("xml")


def _errors_by_path(body: Any) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(e["path"]): e for e in body.get("errors", [])}


def _metric(gateway: Gateway, name: str, **labels: str) -> float:
    """A counter's value from /metrics; 0 when that series was never counted."""
    wanted = [f'{key}="{value}"' for key, value in labels.items()]
    for line in gateway.http.get("/metrics").text.splitlines():
        if line.startswith(name + "{") and all(w in line for w in wanted):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _invalid_metric(gateway: Gateway, source: str, field_name: str) -> float:
    return _metric(
        gateway, "customer_graph_upstream_invalid_fields_total", source=source, field=field_name
    )


def _invalid_responses(gateway: Gateway, source: str) -> float:
    return _metric(gateway, "customer_graph_upstream_invalid_responses_total", source=source)


def _assert_source_failed(body: Any, field_name: str, source: str, reason: str) -> None:
    """Every customer lost ``field_name`` to one typed error; everything else is there."""
    errors = _errors_by_path(body)
    assert set(errors) == {("customers", i, field_name) for i in range(3)}
    for error in errors.values():
        assert error["extensions"] == {"code": "UPSTREAM_DATA_INVALID", "source": source}
        assert reason in error["message"]
    for customer in body["data"]["customers"]:
        assert customer[field_name] is None
        assert customer["email"]


def _assert_still_serving(scripted_gateway: ScriptedGateway) -> None:
    script = scripted_gateway.script
    script.answer(LOYALTY_PATH, GOOD_JSON, "application/json")
    script.answer(PREFERENCES_PATH, GOOD_CSV, "text/csv")
    gateway = scripted_gateway.gateway
    assert gateway.http.get("/healthz").json() == {"status": "ok"}
    body = gateway.query(SHORT_QUERY)
    assert "errors" not in body
    assert [c["loyalty"] for c in body["data"]["customers"]] == GOOD_LOYALTY


def test_good_payloads_fill_every_field(json_gateway: ScriptedGateway) -> None:
    body = json_gateway.query()
    assert "errors" not in body
    customers = body["data"]["customers"]
    assert customers[1]["loyalty"] == {
        "memberNumber": "L-2",
        "tier": "SILVER",
        "points": 20,
        "memberSince": "2021-02-03",
    }
    assert customers[1]["preferences"] == [{"channel": "SMS", "optIn": False}]


def test_wrong_type_in_one_record_nulls_only_that_field(json_gateway: ScriptedGateway) -> None:
    json_gateway.script.answer(
        LOYALTY_PATH, GOOD_JSON.replace('"points": 20', '"points": "lots"'), "application/json"
    )
    body = json_gateway.query()
    (error,) = body["errors"]
    assert error["path"] == ["customers", 1, "loyalty", "points"]
    assert error["extensions"] == {
        "code": "UPSTREAM_DATA_INVALID",
        "source": "loyalty",
        "customerId": "2",
    }
    assert error["message"] == "points: expected a number, found 'lots'"
    loyalty = [c["loyalty"] for c in body["data"]["customers"]]
    assert loyalty[1] == {
        "memberNumber": "L-2",
        "tier": "SILVER",
        "points": None,
        "memberSince": "2021-02-03",
    }
    assert [lo["points"] for lo in loyalty] == [10, None, 30]
    assert _invalid_metric(json_gateway.gateway, "loyalty", "points") == 1
    _assert_still_serving(json_gateway)


def test_missing_required_key_and_unparsable_date_are_reported_per_customer(
    json_gateway: ScriptedGateway,
) -> None:
    payload = GOOD_JSON.replace('"id": "L-3", ', '"id": "L-3", "x": 1, ').replace(
        '"since": "2020-01-02"', '"since": "2020-02-31"'
    )
    payload = payload.replace('{"id": "L-2", "tier": "silver"', '{"ref": "L-2", "tier": "silver"')
    json_gateway.script.answer(LOYALTY_PATH, payload, "application/json")
    body = json_gateway.query()
    errors = _errors_by_path(body)
    assert set(errors) == {("customers", 0, "loyalty", "memberSince")}
    assert errors["customers", 0, "loyalty", "memberSince"]["extensions"]["customerId"] == "1"
    assert "expected a date (ISO 8601), found '2020-02-31'" in str(errors)
    # A record without its key cannot be matched to a customer: logged, counted, absent.
    assert body["data"]["customers"][1]["loyalty"] is None
    assert _invalid_metric(json_gateway.gateway, "loyalty", "(key)") == 1
    assert _invalid_metric(json_gateway.gateway, "loyalty", "member_since") == 1


def test_required_value_missing_in_a_matched_record(json_gateway: ScriptedGateway) -> None:
    json_gateway.script.answer(
        PREFERENCES_PATH, GOOD_CSV.replace("2,sms,false", "2,,false"), "text/csv"
    )
    body = json_gateway.query()
    (error,) = body["errors"]
    assert error["path"] == ["customers", 1, "preferences", 0, "channel"]
    assert error["extensions"] == {
        "code": "UPSTREAM_DATA_INVALID",
        "source": "preferences",
        "customerId": "2",
    }
    assert error["message"] == "channel: required value is missing"
    assert body["data"]["customers"][1]["preferences"] == [{"channel": None, "optIn": False}]
    assert body["data"]["customers"][0]["preferences"] == [{"channel": "EMAIL", "optIn": True}]


def test_malformed_json_fails_only_that_source(json_gateway: ScriptedGateway) -> None:
    json_gateway.script.answer(LOYALTY_PATH, GOOD_JSON[:40], "application/json")
    body = json_gateway.query()
    _assert_source_failed(body, "loyalty", "loyalty", "malformed JSON")
    assert _invalid_responses(json_gateway.gateway, "loyalty") == 1
    outcome = {"source": "loyalty", "outcome": "UPSTREAM_DATA_INVALID"}
    assert _metric(json_gateway.gateway, "customer_graph_upstream_requests_total", **outcome) == 1
    assert [c["preferences"][0]["channel"] for c in body["data"]["customers"]] == [
        "EMAIL",
        "SMS",
        "EMAIL",
    ]
    _assert_still_serving(json_gateway)


def test_json_source_answering_html_is_invalid(json_gateway: ScriptedGateway) -> None:
    json_gateway.script.answer(
        LOYALTY_PATH, "<html><body>Maintenance</body></html>", "text/html; charset=utf-8"
    )
    body = json_gateway.query()
    _assert_source_failed(body, "loyalty", "loyalty", "got content type 'text/html")
    _assert_still_serving(json_gateway)


def test_csv_missing_a_column_fails_only_that_source(json_gateway: ScriptedGateway) -> None:
    without_opt_in = "\r\n".join(
        ",".join(cell for i, cell in enumerate(line.split(",")) if i != 2)
        for line in GOOD_CSV.split("\r\n")
    )
    json_gateway.script.answer(PREFERENCES_PATH, without_opt_in, "text/csv")
    body = json_gateway.query()
    _assert_source_failed(body, "preferences", "preferences", "the CSV has no column 'opt_in'")
    assert _invalid_responses(json_gateway.gateway, "preferences") == 1
    assert [c["loyalty"]["tier"] for c in body["data"]["customers"]] == ["GOLD", "SILVER", "BRONZE"]
    _assert_still_serving(json_gateway)


def test_malformed_csv_fails_only_that_source(json_gateway: ScriptedGateway) -> None:
    json_gateway.script.answer(PREFERENCES_PATH, GOOD_CSV.replace("2,sms", '2,"sms'), "text/csv")
    body = json_gateway.query()
    _assert_source_failed(body, "preferences", "preferences", "malformed CSV")
    _assert_still_serving(json_gateway)


def test_truncated_xml_fails_only_that_source(xml_gateway: ScriptedGateway) -> None:
    xml_gateway.script.answer(LOYALTY_PATH, GOOD_XML[:-20], "application/xml")
    body = xml_gateway.query()
    _assert_source_failed(body, "loyalty", "loyalty", "malformed XML")
    xml_gateway.script.answer(LOYALTY_PATH, GOOD_XML, "application/xml")
    assert [c["loyalty"] for c in xml_gateway.query(SHORT_QUERY)["data"]["customers"]] == (
        GOOD_LOYALTY
    )


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<members><member id="L-1"><tier>&lol9;</tier></member></members>
"""


def test_billion_laughs_xml_is_refused_and_fails_only_that_source(
    xml_gateway: ScriptedGateway,
) -> None:
    xml_gateway.script.answer(LOYALTY_PATH, BILLION_LAUGHS, "application/xml")
    body = xml_gateway.query()
    _assert_source_failed(body, "loyalty", "loyalty", "unsafe XML refused")
    assert _invalid_responses(xml_gateway.gateway, "loyalty") == 1
    xml_gateway.script.answer(LOYALTY_PATH, GOOD_XML, "application/xml")
    assert "errors" not in xml_gateway.query(SHORT_QUERY)


def test_xml_with_a_wrong_type_in_one_record(xml_gateway: ScriptedGateway) -> None:
    xml_gateway.script.answer(
        LOYALTY_PATH,
        GOOD_XML.replace("<points>30</points>", "<points>3O</points>"),
        "text/xml; charset=utf-8",
    )
    body = xml_gateway.query(SHORT_QUERY)
    (error,) = body["errors"]
    assert error["path"] == ["customers", 2, "loyalty", "points"]
    assert error["extensions"]["customerId"] == "3"
    assert [c["loyalty"]["points"] for c in body["data"]["customers"]] == [10, 20, None]
