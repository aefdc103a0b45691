"""Connecting upstreams no shipped code knows, with a config file only.

PointsPlus replaces the loyalty API: CSV in Windows-1252, its own member ids
(``PP-0042-X``), German column names, ``12.345,00`` points and dd/mm/yyyy dates, with
sparse columns. OptInHub replaces the preferences API: ids in a POST JSON body, answers in
XML with two namespaces, attributes, ``ja``/``nein`` and compact dates.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from starlette.requests import Request
from starlette.responses import Response

from gateway.settings import Settings
from sandbox.server import run_in_thread
from tests.conftest import Gateway, Sandbox
from tests.upstreams import Upstream, shipped_config, write_settings

TIERS = ("Bronze", "Silber", "Gold", "Premium-Plüs")
# As the schema's LoyaltyTier names them, through the source's `values`.
TIER_NAMES = {"Bronze": "BRONZE", "Silber": "SILVER", "Gold": "GOLD", "Premium-Plüs": "PLATINUM"}
CONSENT_NS = "urn:optinhub:consent:3"
META_NS = "urn:optinhub:meta"
POINTS_PATH = "/api/v3/points/export"
CONSENTS_PATH = "/hub/consents/query"


@dataclass(frozen=True)
class Member:
    customer_id: int
    tier: str
    points: int
    since: date

    @property
    def number(self) -> str:
        return f"PP-{self.customer_id:04d}-X"


@dataclass(frozen=True)
class Consent:
    customer_id: int
    channel: str
    granted: bool
    language: str
    changed: date


def member(cid: int) -> Member | None:
    """Every customer but each third is a PointsPlus member."""
    if cid % 3 == 0:
        return None
    return Member(cid, TIERS[cid % 4], cid * 12_345, date(2010 + cid % 12, cid % 12 + 1, 28))


def consents(cid: int) -> list[Consent]:
    found = [Consent(cid, "email", cid % 2 == 0, "de", date(2024, 3, cid % 28 + 1))]
    if cid % 5 == 0:
        found.append(Consent(cid, "sms", True, "fr", date(2023, 11, 30)))
    return found


def _points_csv(numbers: list[str], columns: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=",", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(columns)
    for number in numbers:
        cid = int(number[3:7])
        found = member(cid)
        if found is None:
            continue
        row = {
            "Kundennummer": found.number,
            "Stufe": found.tier,
            "Punkte": f"{found.points:,}".replace(",", ".") + ",00",
            "Mitglied seit": found.since.strftime("%d/%m/%Y"),
            "Filiale": "Köln",
        }
        writer.writerow([row[c] for c in columns])
    return out.getvalue().encode("cp1252")


def _consents_xml(refs: list[str]) -> bytes:
    items = []
    for ref in refs:
        for c in consents(int(ref.removeprefix("OH/"))):
            items.append(
                f"<oh:consent ref={quoteattr(ref)} kanal={quoteattr(c.channel)}>"
                f"<oh:zugestimmt>{'ja' if c.granted else 'nein'}</oh:zugestimmt>"
                f"<oh:sprache>{escape(c.language)}</oh:sprache>"
                f"<m:geaendert>{c.changed:%Y%m%d}</m:geaendert>"
                "</oh:consent>"
            )
    document = (
        f'<?xml version="1.0" encoding="UTF-8"?><oh:consentList xmlns:oh="{CONSENT_NS}" '
        f'xmlns:m="{META_NS}">{"".join(items)}</oh:consentList>'
    )
    return document.encode()


ALL_COLUMNS = ["Kundennummer", "Stufe", "Punkte", "Mitglied seit", "Filiale"]


def vendors_app(upstream: Upstream) -> object:
    async def points(request: Request) -> Response:
        numbers = request.query_params["members"].split(",")
        cols = request.query_params.get("cols")
        columns = cols.split(",") if cols else ALL_COLUMNS
        return Response(_points_csv(numbers, columns), media_type="text/csv; charset=windows-1252")

    async def consent_query(request: Request) -> Response:
        refs = json.loads(await request.body())["refs"]
        return Response(_consents_xml(refs), media_type="application/vnd.optinhub.v3+xml")

    return upstream.app({POINTS_PATH: ("GET", points), CONSENTS_PATH: ("POST", consent_query)})


def vendor_sources(url: str) -> str:
    return f"""
# PointsPlus: CSV in Windows-1252 with its own member numbers.
[sources.pointsplus]
base_url = "{url}/api/v3"
format = "csv"
entity = "loyalty"
key_template = "PP-{{id:04d}}-X"

[sources.pointsplus.batch]
path = "/points/export"
ids = {{ style = "comma", name = "members" }}
max_batch_size = 50
records = "@"
key = "Kundennummer"

[sources.pointsplus.sparse_fields]
param = "cols"
always = ["Kundennummer"]

[sources.pointsplus.csv]
delimiter = ","
encoding = "cp1252"

[sources.pointsplus.fields]
member_number = {{ path = "Kundennummer", required = true }}
tier = {{ path = "Stufe", values = {{ Silber = "silver", "Premium-Plüs" = "platinum" }} }}
points = {{ path = "Punkte", type = "int", thousands_separator = ".", decimal_separator = "," }}
member_since = {{ path = '"Mitglied seit"', type = "date", format = "%d/%m/%Y" }}

# OptInHub: ids in a JSON body, namespaced XML with attributes and German booleans.
[sources.optinhub]
base_url = "{url}/hub"
format = "xml"
entity = "preferences"
key_template = "OH/{{id}}"

[sources.optinhub.batch]
method = "POST"
path = "/consents/query"
ids = {{ style = "json", name = "refs" }}
records = "oh_consentList.oh_consent"
key = '"@ref"'

[sources.optinhub.xml]
namespaces = {{ oh = "{CONSENT_NS}", m = "{META_NS}" }}

[sources.optinhub.fields]
channel = {{ path = '"@kanal"', required = true }}
opt_in = {{ path = "oh_zugestimmt", type = "bool", true_values = ["ja"], false_values = ["nein"] }}
language = {{ path = "oh_sprache" }}
updated_at = {{ path = "m_geaendert", type = "date", format = "%Y%m%d" }}
"""


@pytest.fixture(scope="module")
def vendors() -> Iterator[tuple[str, Upstream]]:
    upstream = Upstream()
    with run_in_thread(vendors_app(upstream)) as url:  # type: ignore[arg-type]
        yield url, upstream


@pytest.fixture
def vendor_gateway(
    vendors: tuple[str, Upstream],
    sandbox: Sandbox,
    tmp_path: Path,
    start_gateway: Callable[[Settings], AbstractContextManager[str]],
) -> Iterator[tuple[Gateway, Upstream]]:
    url, upstream = vendors
    upstream.reset()
    text = shipped_config(without=["loyalty", "preferences"]) + vendor_sources(url)
    settings = write_settings(tmp_path, text, SANDBOX_URL=sandbox.url)
    with start_gateway(settings) as gateway_url:
        yield Gateway(gateway_url), upstream


QUERY = """
query ($ids: [ID!]!) {
  customers(ids: $ids) {
    id name
    loyalty { memberNumber tier points memberSince }
    preferences { channel optIn language updatedAt }
  }
}
"""


def test_new_vendors_fill_customer_fields_in_one_call_each(
    vendor_gateway: tuple[Gateway, Upstream], sandbox: Sandbox
) -> None:
    gateway, upstream = vendor_gateway
    ids = [str(i) for i in range(1, 41)]
    body = gateway.query(QUERY, {"ids": ids})
    assert "errors" not in body
    for got in body["data"]["customers"]:
        cid = int(got["id"])
        found = member(cid)
        assert got["loyalty"] == (
            None
            if found is None
            else {
                "memberNumber": found.number,
                "tier": TIER_NAMES[found.tier],
                "points": found.points,
                "memberSince": found.since.isoformat(),
            }
        )
        assert got["preferences"] == [
            {
                "channel": c.channel.upper(),
                "optIn": c.granted,
                "language": c.language,
                "updatedAt": c.changed.isoformat(),
            }
            for c in consents(cid)
        ]
    (points_call,) = upstream.calls(POINTS_PATH)
    assert points_call.param("members") == ",".join(f"PP-{i:04d}-X" for i in range(1, 41))
    (consents_call,) = upstream.calls(CONSENTS_PATH)
    assert json.loads(consents_call.body) == {"refs": [f"OH/{i}" for i in range(1, 41)]}
    assert consents_call.headers["content-type"] == "application/json"
    # The shipped loyalty and preferences APIs are no longer asked.
    assert sandbox.calls() == {"crm": 1, "orders": 0, "loyalty": 0, "preferences": 0}


def test_new_csv_vendor_is_asked_only_for_the_columns_the_query_needs(
    vendor_gateway: tuple[Gateway, Upstream],
) -> None:
    gateway, upstream = vendor_gateway
    body = gateway.query('{ customers(ids: ["1", "2"]) { loyalty { tier } } }')
    assert body["data"]["customers"] == [
        {"loyalty": {"tier": "SILVER"}},
        {"loyalty": {"tier": "GOLD"}},
    ]
    (call,) = upstream.calls(POINTS_PATH)
    assert call.param("cols") == "Kundennummer,Stufe"
    assert upstream.calls(CONSENTS_PATH) == []


def test_ids_outside_the_vendor_scheme_are_never_sent(
    vendor_gateway: tuple[Gateway, Upstream],
) -> None:
    gateway, upstream = vendor_gateway
    body = gateway.query('{ customers(ids: ["7", "abc"]) { id loyalty { memberNumber } } }')
    assert body["data"]["customers"] == [
        {"id": "7", "loyalty": {"memberNumber": "PP-0007-X"}},
        None,
    ]
    (call,) = upstream.calls(POINTS_PATH)
    assert call.param("members") == "PP-0007-X"
