"""An idempotency key means one request: the first write with it binds it, for the key's
lifetime, to the operation and input it came with. The same key with another operation or
input is refused with IDEMPOTENCY_KEY_REUSED before anything is written; the same request
again is a retry, which the upstream recognises by a key derived from the client's alone."""

from __future__ import annotations

from typing import Any

from tests.conftest import (
    REDIS_URL,
    FakeTimer,
    Gateway,
    Sandbox,
    StartGateway,
    sandbox_settings,
)

# Customers no other module compares with the generated data.
PROFILE = """
mutation ($id: ID!, $input: ProfileInput!, $key: String) {
  updateProfile(customerId: $id, input: $input, idempotencyKey: $key) { id city }
}
"""
PREFERENCES = """
mutation ($id: ID!, $key: String) {
  updatePreferences(customerId: $id, input: [{channel: SMS, optIn: true}], idempotencyKey: $key)
  { id }
}
"""
REUSED = {
    "message": "this idempotency key was already used with a different request; "
    "send a new key for a new change",
    "code": "IDEMPOTENCY_KEY_REUSED",
}


def move(customer_id: str, city: str, key: str | None = "K") -> dict[str, Any]:
    return {"id": customer_id, "input": {"city": city}, "key": key}


def crm_city(sandbox: Sandbox, customer_id: str) -> str:
    city: str = sandbox.http.get(f"/crm/customers/{customer_id}").json()["data"]["city"]
    return city


def patches(sandbox: Sandbox) -> list[int | None]:
    return [e["status"] for e in sandbox.stats()["crm"]["events"] if e["method"] == "PATCH"]


def refusal(body: dict[str, Any], field: str) -> dict[str, Any]:
    assert body["data"] == {field: None}
    (error,) = body["errors"]
    return {"message": error["message"], "code": error["extensions"]["code"]}


def test_a_key_reused_with_another_input_is_refused_and_the_first_request_stands(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    # The outside probe's sequence: city A with K, city B with K, city A with K.
    with start_gateway(sandbox_settings(sandbox.url), timer=FakeTimer()) as url:
        gateway = Gateway(url)
        first = gateway.query(PROFILE, move("9101", "Arles"))
        assert first == {"data": {"updateProfile": {"id": "9101", "city": "Arles"}}}
        assert refusal(gateway.query(PROFILE, move("9101", "Brest")), "updateProfile") == REUSED
        assert patches(sandbox) == [200]
        again = gateway.query(PROFILE, move("9101", "Arles"))
    assert again == first
    assert crm_city(sandbox, "9101") == "Arles"
    # The retry reached the CRM under the first write's key and was answered from it.
    assert patches(sandbox) == [200, 200]


def test_a_key_reused_for_another_operation_is_refused(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    with start_gateway(sandbox_settings(sandbox.url), timer=FakeTimer()) as url:
        gateway = Gateway(url)
        assert "errors" not in gateway.query(PROFILE, move("9102", "Arles"))
        body = gateway.query(PREFERENCES, {"id": "9102", "key": "K"})
    assert refusal(body, "updatePreferences") == REUSED
    assert sandbox.calls()["preferences"] == 0


def test_the_header_key_covers_every_write_of_its_operation(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    both = """mutation {
      a: updateProfile(customerId: "9103", input: {city: "Arles"}) { city }
      b: updateProfile(customerId: "9103", input: {segment: VIP}) { city }
    }"""
    header = {"Idempotency-Key": "both-9103"}
    with start_gateway(sandbox_settings(sandbox.url), timer=FakeTimer()) as url:
        gateway = Gateway(url)
        body = gateway.query(both, headers=header)
        assert body == {"data": {"a": {"city": "Arles"}, "b": {"city": "Arles"}}}
        # Each field's write has its own upstream key: both were applied, once each.
        assert patches(sandbox) == [200, 200]
        assert "errors" not in gateway.query(both, headers=header)
        other = gateway.query(PROFILE, move("9103", "Brest", key=None), headers=header)
    assert refusal(other, "updateProfile") == REUSED
    assert patches(sandbox) == [200, 200, 200, 200]


def test_past_its_lifetime_the_key_is_the_upstreams_to_refuse(
    sandbox: Sandbox, start_gateway: StartGateway
) -> None:
    timer = FakeTimer()
    settings = sandbox_settings(sandbox.url, CG_IDEMPOTENCY__TTL="60")
    with start_gateway(settings, timer=timer) as url:
        gateway = Gateway(url)
        assert "errors" not in gateway.query(PROFILE, move("9104", "Arles"))
        timer.advance(61)
        body = gateway.query(PROFILE, move("9104", "Brest"))
    # The upstream key comes from the client's key alone, not the body: the CRM, which
    # still remembers it, refuses the other body too.
    assert body["data"] == {"updateProfile": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UPSTREAM_REJECTED"]
    assert patches(sandbox) == [200, 422]
    assert crm_city(sandbox, "9104") == "Arles"


def test_replicas_sharing_redis_share_the_bindings(
    sandbox: Sandbox, start_gateway: StartGateway, redis_prefix: str
) -> None:
    # Generous Redis timeouts: this is about sharing, and a loaded machine must not make
    # Redis look down (which falls back to each replica's memory, as documented).
    settings = sandbox_settings(
        sandbox.url,
        CG_CACHE__REDIS_URL=REDIS_URL,
        CG_CACHE__REDIS_PREFIX=redis_prefix,
        CG_REDIS__CONNECT_TIMEOUT="5",
        CG_REDIS__COMMAND_TIMEOUT="5",
    )
    with (
        start_gateway(settings, timer=FakeTimer()) as one,
        start_gateway(settings, timer=FakeTimer()) as two,
    ):
        assert "errors" not in Gateway(one).query(PROFILE, move("9105", "Arles"))
        body = Gateway(two).query(PROFILE, move("9105", "Brest"))
    assert refusal(body, "updateProfile") == REUSED
    assert patches(sandbox) == [200]
