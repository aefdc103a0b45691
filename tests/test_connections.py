"""customerList and Customer.orders are Relay connections to the letter of the Cursor
Connections Specification: every edge's cursor resumes right after that edge, pageInfo is
complete, and bad arguments are BAD_USER_INPUT naming the limit, before any upstream call."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from gateway.app import create_app
from sandbox import SandboxSettings
from sandbox import create_app as create_sandbox
from sandbox.data import Dataset
from sandbox.server import run_in_thread
from tests.conftest import Gateway, Sandbox, uncached_settings

# Small enough to page through often; 24 has divisors and non-divisors among page sizes.
CUSTOMERS = 24
SMALL = SandboxSettings(customers=CUSTOMERS)
# The gateway's largest listing page, below the CRM's 100, so that a resume from deep in
# a page needs more than one page of the upstream.
LARGEST_PAGE = 10
NO_CALLS = {"crm": 0, "orders": 0, "loyalty": 0, "preferences": 0}
LISTING_ONLY = {**NO_CALLS, "crm": 1}

LIST = """
query ($first: Int, $after: String, $last: Int, $before: String, $since: DateTime) {
  customerList(first: $first, after: $after, last: $last, before: $before,
               updatedSince: $since) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id } }
  }
}
"""

ORDERS = """
query ($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  customer(id: $id) {
    orders(first: $first, after: $after, last: $last, before: $before) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id } }
    }
  }
}
"""


@pytest.fixture(scope="module")
def small() -> Iterator[tuple[Sandbox, Gateway]]:
    """A sandbox of ``CUSTOMERS`` customers and an uncached gateway over it."""
    with run_in_thread(create_sandbox(SMALL)) as sandbox_url:
        settings = uncached_settings(
            sandbox_url, CG_SOURCES__CRM__LISTING__MAX_LIMIT=str(LARGEST_PAGE)
        )
        with run_in_thread(create_app(settings)) as url:
            yield Sandbox(sandbox_url), Gateway(url)


@pytest.fixture
def listing(small: tuple[Sandbox, Gateway]) -> Iterator[tuple[Sandbox, Gateway]]:
    sandbox, _ = small
    sandbox.reset()
    yield small
    sandbox.reset()


def _every_id(sandbox: Sandbox) -> list[str]:
    """The whole listing, as the CRM itself gives it."""
    page = sandbox.http.get("/crm/customers", params={"limit": "100"}).json()
    assert page["next_cursor"] is None
    return [str(r["id"]) for r in page["data"]]


def _page(gateway: Gateway, **variables: Any) -> Any:
    body = gateway.query(LIST, variables)
    assert "errors" not in body, body
    return body["data"]["customerList"]


def _ids(page: Any) -> list[str]:
    return [e["node"]["id"] for e in page["edges"]]


@pytest.mark.parametrize("size", [4, 6, 5, 7, LARGEST_PAGE])
def test_resuming_from_mid_page_and_last_edges_sees_every_customer_once_in_order(
    listing: tuple[Sandbox, Gateway], size: int
) -> None:
    sandbox, gateway = listing
    expected = _every_id(sandbox)
    assert len(expected) == CUSTOMERS
    seen: list[str] = []
    after = None
    for step in range(3 * CUSTOMERS):
        sandbox.reset()
        page = _page(gateway, first=size, after=after)
        # The listing brings the CRM fields: nothing else is asked. One listing call, or
        # two when the resumed upstream page plus this page exceed the largest page.
        calls = sandbox.calls()
        assert calls in (LISTING_ONLY, {**NO_CALLS, "crm": 2})
        edges = page["edges"]
        remaining = len(expected) - len(seen)
        assert len(edges) == min(size, remaining)
        assert page["pageInfo"]["hasNextPage"] is (remaining > size)
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            seen.extend(_ids(page))
            break
        # Alternately from the middle of the page and from its last edge.
        resume = len(edges) // 2 if step % 2 == 0 else len(edges) - 1
        seen.extend(_ids(page)[: resume + 1])
        after = edges[resume]["cursor"]
    assert seen == expected


def test_page_info_names_the_first_and_last_edges(listing: tuple[Sandbox, Gateway]) -> None:
    _, gateway = listing
    first = _page(gateway, first=5)
    info = first["pageInfo"]
    assert info["startCursor"] == first["edges"][0]["cursor"]
    assert info["endCursor"] == first["edges"][-1]["cursor"]
    assert (info["hasNextPage"], info["hasPreviousPage"]) == (True, False)
    # Every edge has a cursor of its own.
    assert len({e["cursor"] for e in first["edges"]}) == 5
    second = _page(gateway, first=5, after=info["endCursor"])
    assert _ids(second) == [str(i) for i in range(6, 11)]


def test_a_resume_from_mid_page_asks_the_listing_once(gateway: Gateway, sandbox: Sandbox) -> None:
    first = _page(gateway, first=10)
    sandbox.reset()
    page = _page(gateway, first=10, after=first["edges"][4]["cursor"])
    assert _ids(page) == [str(i) for i in range(6, 16)]
    assert sandbox.calls() == LISTING_ONLY
    # That page's own edges resume as exactly, the last one included.
    sandbox.reset()
    assert _ids(_page(gateway, first=3, after=page["edges"][2]["cursor"])) == ["9", "10", "11"]
    assert _ids(_page(gateway, first=3, after=page["pageInfo"]["endCursor"])) == ["16", "17", "18"]
    assert sandbox.calls() == {**NO_CALLS, "crm": 2}


def test_a_resume_deep_in_a_page_fills_the_page_from_the_next(
    listing: tuple[Sandbox, Gateway],
) -> None:
    sandbox, gateway = listing
    expected = _every_id(sandbox)
    full = _page(gateway, first=LARGEST_PAGE)
    sandbox.reset()
    # After the eighth customer, eight more: past the largest page the upstream is asked for.
    page = _page(gateway, first=8, after=full["edges"][7]["cursor"])
    assert _ids(page) == expected[8:16]
    assert sandbox.calls() == {**NO_CALLS, "crm": 2}


def test_first_zero_is_an_empty_page_that_says_whether_more_follow(
    listing: tuple[Sandbox, Gateway],
) -> None:
    _, gateway = listing
    page = _page(gateway, first=0)
    assert page["edges"] == []
    assert page["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": None,
        "endCursor": None,
    }
    after = None
    for _ in range(3):
        page = _page(gateway, first=LARGEST_PAGE, after=after)
        after = page["pageInfo"]["endCursor"]
    assert len(page["edges"]) == CUSTOMERS - 2 * LARGEST_PAGE
    # After the very last customer: nothing follows, and the answer says so.
    end = _page(gateway, first=0, after=after)
    assert end["edges"] == []
    assert (end["pageInfo"]["hasNextPage"], end["pageInfo"]["hasPreviousPage"]) == (False, True)


def test_a_listing_cursor_resumes_only_the_listing_with_its_updated_since(
    listing: tuple[Sandbox, Gateway],
) -> None:
    sandbox, gateway = listing
    since = "2020-01-01T00:00:00Z"
    page = _page(gateway, first=3, since=since)
    resumed = _page(gateway, first=3, after=page["edges"][1]["cursor"], since=since)
    assert _ids(resumed)[0] == _ids(page)[2]
    sandbox.reset()
    body = gateway.query(LIST, {"first": 3, "after": page["edges"][1]["cursor"]})
    assert _code(body) == "BAD_USER_INPUT"
    assert "another updatedSince" in body["errors"][0]["message"]
    assert sandbox.calls() == NO_CALLS


def _raw(value: Any) -> str:
    """A cursor crafted by hand: base64 of any JSON."""
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode()


def _code(body: Any) -> str:
    assert body["data"] is None
    (error,) = body["errors"]
    code: str = error["extensions"]["code"]
    return code


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": -1}, f"first must not be negative (0 to {LARGEST_PAGE}), got -1"),
        ({"first": LARGEST_PAGE + 1}, f"first must be at most {LARGEST_PAGE}, got 11"),
        ({"after": "nonsense"}, "after must be a cursor this API gave"),
        ({"after": _raw([1, "orders", "3", 0])}, "after must be a cursor of customerList"),
        ({"after": _raw([1, "customers", None, None, -1])}, "after must be a cursor of custo"),
        ({"after": _raw([1, "customers", None, None, True])}, "after must be a cursor this"),
        ({"after": _raw([2, "customers", None, None, 0])}, "after must be a cursor this API"),
        ({"after": _raw({"skip": 0})}, "after must be a cursor this API gave"),
        ({"after": "x" * 2000}, "after must be a cursor of at most 1024 characters"),
        ({"last": 3}, "customerList pages forward only"),
        ({"before": _raw([1, "customers", None, None, 0])}, "customerList pages forward"),
    ],
)
def test_bad_listing_arguments_are_bad_user_input_before_any_call(
    listing: tuple[Sandbox, Gateway], variables: dict[str, Any], message: str
) -> None:
    sandbox, gateway = listing
    body = gateway.query(LIST, {"first": 3, **variables})
    assert _code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["message"].startswith(message)
    assert sandbox.calls() == NO_CALLS


def _orders(gateway: Gateway, cid: str, **variables: Any) -> Any:
    body = gateway.query(ORDERS, {"id": cid, **variables})
    assert "errors" not in body, body
    return body["data"]["customer"]["orders"]


def _order_ids(connection: Any) -> list[str]:
    return [e["node"]["id"] for e in connection["edges"]]


def _with_orders(count: int) -> tuple[str, list[str]]:
    """A customer with at least ``count`` orders, and their ids newest first."""
    data = Dataset(SMALL)
    for cid in map(str, range(1, CUSTOMERS + 1)):
        orders = [o.order_id for o in data.orders(cid)]
        if len(orders) >= count:
            return cid, orders
    raise AssertionError(f"no customer has {count} orders")


def test_orders_page_forward_and_back_by_any_edge(listing: tuple[Sandbox, Gateway]) -> None:
    sandbox, gateway = listing
    cid, expected = _with_orders(5)
    count = len(expected)
    first = _orders(gateway, cid, first=2)
    assert _order_ids(first) == expected[:2]
    assert first["totalCount"] == count
    assert first["pageInfo"]["startCursor"] == first["edges"][0]["cursor"]
    assert (first["pageInfo"]["hasNextPage"], first["pageInfo"]["hasPreviousPage"]) == (
        True,
        False,
    )
    # From the first edge, not only the last.
    after_one = _orders(gateway, cid, first=3, after=first["edges"][0]["cursor"])
    assert _order_ids(after_one) == expected[1:4]
    assert after_one["pageInfo"]["hasPreviousPage"] is True
    # Backward from the end, then before the first edge of that page.
    tail = _orders(gateway, cid, last=2)
    assert _order_ids(tail) == expected[-2:]
    assert (tail["pageInfo"]["hasNextPage"], tail["pageInfo"]["hasPreviousPage"]) == (
        False,
        True,
    )
    before = _orders(gateway, cid, last=2, before=tail["pageInfo"]["startCursor"])
    assert _order_ids(before) == expected[-4:-2]
    assert before["pageInfo"]["hasNextPage"] is True
    # Between two cursors, then the spec's first-then-last slicing.
    between = _orders(
        gateway, cid, after=first["edges"][0]["cursor"], before=tail["edges"][0]["cursor"]
    )
    assert _order_ids(between) == expected[1 : count - 2][:10]
    assert _order_ids(_orders(gateway, cid, first=4, last=2)) == expected[2:4]
    # With neither first nor last, the first ten.
    assert _order_ids(_orders(gateway, cid)) == expected[:10]
    # One orders call per query, whatever the window.
    assert sandbox.calls()["orders"] == 7


def test_paging_orders_by_every_edge_sees_each_order_once(
    listing: tuple[Sandbox, Gateway],
) -> None:
    _, gateway = listing
    cid, expected = _with_orders(5)
    forward: list[str] = []
    after = None
    while True:
        page = _orders(gateway, cid, first=2, after=after)
        forward.extend(_order_ids(page)[:1])
        if not page["pageInfo"]["hasNextPage"]:
            forward.extend(_order_ids(page)[1:])
            break
        after = page["edges"][0]["cursor"]
    backward: list[str] = []
    before = None
    while True:
        page = _orders(gateway, cid, last=3, before=before)
        backward[:0] = _order_ids(page)
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert forward == backward == expected


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"first": -5}, "first must not be negative (0 to 100), got -5"),
        ({"last": 101}, "last must be at most 100, got 101"),
        ({"after": "nonsense"}, "after must be a cursor this API gave"),
        ({"before": _raw([1, "orders", "3", -1])}, "before must be a cursor of this customer"),
    ],
)
def test_bad_order_arguments_are_bad_user_input_at_the_field(
    listing: tuple[Sandbox, Gateway], arguments: dict[str, Any], message: str
) -> None:
    _, gateway = listing
    cid, _ = _with_orders(1)
    body = gateway.query(ORDERS, {"id": cid, **arguments})
    assert body["data"] == {"customer": {"orders": None}}
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["path"] == ["customer", "orders"]
    assert error["message"].startswith(message)


def test_an_order_cursor_of_one_customer_addresses_nothing_of_another(
    listing: tuple[Sandbox, Gateway],
) -> None:
    _, gateway = listing
    cid, _ = _with_orders(3)
    other = next(str(i) for i in range(1, CUSTOMERS + 1) if str(i) != cid)
    cursor = _orders(gateway, cid, first=1)["pageInfo"]["endCursor"]
    body = gateway.query(ORDERS, {"id": other, "first": 1, "after": cursor})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["message"].startswith(
        "after must be a cursor of this customer's orders"
    )
