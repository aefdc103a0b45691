"""Writes: idempotent upstream changes, retried when the answer is lost and applied once."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.settings import ConfigError
from tests.conftest import FakeTimer, Gateway, Sandbox, StartGateway, sandbox_settings
from tests.tokens import PARTNER_KEY, auth_env, bearer, claims, hs256

# Customers other test modules compare with the generated data are left untouched.
PROFILE = """
mutation ($id: ID!, $input: ProfileInput!, $key: String) {
  updateProfile(customerId: $id, input: $input, idempotencyKey: $key) { id city segment email }
}
"""
PREFERENCES = """
mutation ($id: ID!, $input: [ChannelPreferenceInput!]!) {
  updatePreferences(customerId: $id, input: $input) { id preferences { channel optIn language } }
}
"""


def crm_city(sandbox: Sandbox, customer_id: str) -> str:
    city: str = sandbox.http.get(f"/crm/customers/{customer_id}").json()["data"]["city"]
    return city


def events(sandbox: Sandbox, api: str, method: str) -> list[dict[str, Any]]:
    return [e for e in sandbox.stats()[api]["events"] if e["method"] == method]


def test_update_profile_writes_the_crm_and_returns_the_customer_as_it_is_now(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    with start_gateway(sandbox_settings(sandbox.url), timer=FakeTimer()) as url:
        body = Gateway(url).query(
            PROFILE, {"id": "9001", "input": {"city": "Gent", "segment": "VIP"}}
        )
    email = sandbox.data.customer("9001").email  # type: ignore[union-attr]
    assert body == {
        "data": {"updateProfile": {"id": "9001", "city": "Gent", "segment": "VIP", "email": email}}
    }
    calls = [(e["method"], e["path"], e["status"]) for e in sandbox.stats()["crm"]["events"]]
    assert calls == [
        ("PATCH", "/crm/customers/9001", 200),
        ("GET", "/crm/customers/batch", 200),
    ]
    assert crm_city(sandbox, "9001") == "Gent"


def test_write_whose_answer_is_lost_is_retried_and_applied_once(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    timer = FakeTimer()

    # Between the lost answer and the retry, someone else moves the customer. A retry that
    # applied the write again would undo that; one the upstream recognises changes nothing.
    def someone_else_writes(_: float) -> None:
        sandbox.http.patch("/crm/customers/9002", json={"city": "Elsewhere"}).raise_for_status()

    timer.on_sleep = someone_else_writes
    sandbox.set_faults(crm={"drop_after_apply": 1})
    with start_gateway(sandbox_settings(sandbox.url), timer=timer) as url:
        body = Gateway(url).query(PROFILE, {"id": "9002", "input": {"city": "Lost"}})
    assert "errors" not in body
    assert body["data"]["updateProfile"]["city"] == "Elsewhere"
    assert crm_city(sandbox, "9002") == "Elsewhere"
    patches = events(sandbox, "crm", "PATCH")
    # Ours (applied, no answer), the other writer's, our retry (answered from the first).
    assert [e["status"] for e in patches] == [None, 200, 200]
    assert len(timer.sleeps) == 1


def test_same_client_key_makes_a_repeated_mutation_change_nothing(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    move = {"id": "9003", "input": {"city": "Ghent"}, "key": "move-9003"}
    with start_gateway(sandbox_settings(sandbox.url), timer=FakeTimer()) as url:
        gateway = Gateway(url)
        assert gateway.query(PROFILE, move)["data"]["updateProfile"]["city"] == "Ghent"
        sandbox.http.patch("/crm/customers/9003", json={"city": "Bruges"}).raise_for_status()
        # The client retries its mutation with its key: the upstream replays the first answer.
        assert gateway.query(PROFILE, move)["data"]["updateProfile"]["city"] == "Bruges"
        # The same change without a key is a new write.
        del move["key"]
        assert gateway.query(PROFILE, move)["data"]["updateProfile"]["city"] == "Ghent"


def test_idempotency_key_header_counts_as_the_client_key(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    move = {"id": "9004", "input": {"city": "Ghent"}}
    header = {"Idempotency-Key": "move-9004"}
    with start_gateway(sandbox_settings(sandbox.url), timer=FakeTimer()) as url:
        gateway = Gateway(url)
        gateway.query(PROFILE, move, headers=header)
        sandbox.http.patch("/crm/customers/9004", json={"city": "Bruges"}).raise_for_status()
        body = gateway.query(PROFILE, move, headers=header)
    assert body["data"]["updateProfile"]["city"] == "Bruges"


def test_update_preferences_writes_each_channel(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    changes = [
        {"channel": "SMS", "optIn": True, "language": "de"},
        {"channel": "POST", "optIn": False},
    ]
    with start_gateway(sandbox_settings(sandbox.url), timer=FakeTimer()) as url:
        body = Gateway(url).query(PREFERENCES, {"id": "9005", "input": changes})
    assert "errors" not in body
    channels = {p["channel"]: p for p in body["data"]["updatePreferences"]["preferences"]}
    assert channels["SMS"] == {"channel": "SMS", "optIn": True, "language": "de"}
    assert channels["POST"]["optIn"] is False
    puts = events(sandbox, "preferences", "PUT")
    assert [(e["path"], e["status"]) for e in puts] == [
        ("/preferences/customers/C0009005/channels/sms", 200),
        ("/preferences/customers/C0009005/channels/post", 200),
    ]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (PROFILE, {"id": "9006", "input": {}}),
        (PROFILE, {"id": "9006", "input": {"city": None}}),
        (PREFERENCES, {"id": "9006", "input": []}),
    ],
)
def test_write_that_says_nothing_is_refused_before_any_call(
    sandbox: Sandbox, start_gateway: StartGateway, query: str, variables: dict[str, Any]
) -> None:
    with start_gateway(sandbox_settings(sandbox.url), timer=FakeTimer()) as url:
        body = Gateway(url).query(query, variables)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_REQUEST"]
    assert sum(sandbox.calls().values()) == 0


def test_writes_to_an_upstream_without_idempotency_keys_are_sent_once(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    settings = sandbox_settings(sandbox.url)
    crm = settings.sources["crm"]
    assert crm.update is not None
    update = crm.update.model_copy(update={"idempotency_header": None})
    sources = {**settings.sources, "crm": crm.model_copy(update={"update": update})}
    settings = settings.model_copy(update={"sources": sources})
    sandbox.set_faults(crm={"fail_next": 1, "status": 503})
    with start_gateway(settings, timer=FakeTimer()) as url:
        body = Gateway(url).query(PROFILE, {"id": "9007", "input": {"city": "Once"}})
    assert body["data"] == {"updateProfile": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UPSTREAM_UNAVAILABLE"]
    assert len(events(sandbox, "crm", "PATCH")) == 1


@pytest.mark.parametrize(
    ("update", "problem"),
    [
        (
            {"path": "/members/{key}", "fields": ["member_number", "tier"]},
            "sources.loyalty.update.fields[0]: member_number: path '\"@number\"' names no "
            "single attribute to write (found 'member_number')",
        ),
        (
            {"path": "/members", "fields": ["tier"]},
            "sources.loyalty.update.path: expected a '{key}' placeholder for the customer "
            "(found '/members')",
        ),
        (
            {"path": "/members/{key}/{colour}", "fields": ["tier"]},
            "sources.loyalty.update.path: placeholder {colour} is not one of update.fields; "
            "expected 'key' or a field that identifies the item (found '/members/{key}/{colour}')",
        ),
    ],
)
def test_write_mapping_that_cannot_be_inverted_fails_at_load(
    sandbox: Sandbox, update: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ConfigError) as error:
        sandbox_settings(sandbox.url, CG_SOURCES__LOYALTY__UPDATE=json.dumps(update))
    assert error.value.problems == [f"{problem} [set by CG_SOURCES__LOYALTY__UPDATE]"]


def test_writes_need_customers_write_or_self_access(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    settings = sandbox_settings(sandbox.url, **auth_env())
    move = {"input": {"city": "Mechelen"}}
    callers = {
        "partner without customers:write": {"x-api-key": PARTNER_KEY},
        "another consumer": bearer(hs256(claims("9009"))),
        "the consumer itself": bearer(hs256(claims("9008"))),
    }
    with start_gateway(settings, clock=lambda: claims()["iat"], timer=FakeTimer()) as url:
        gateway = Gateway(url)
        outcomes = {
            who: gateway.query(PROFILE, {"id": "9008", **move}, headers=headers)
            for who, headers in callers.items()
        }
    for who in ("partner without customers:write", "another consumer"):
        assert outcomes[who]["data"] == {"updateProfile": None}
        assert [e["extensions"]["code"] for e in outcomes[who]["errors"]] == ["FORBIDDEN"]
    assert outcomes["the consumer itself"]["data"]["updateProfile"]["city"] == "Mechelen"
    assert len(events(sandbox, "crm", "PATCH")) == 1
