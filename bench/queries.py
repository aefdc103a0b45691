"""The operations the scenarios send, as request bodies for each kind of server.

The gateway, the naive baseline and the Python floor share one schema shape, so they get the
same text. Hive and Tailcall serve the sandbox's own REST shapes (snake_case attributes, the
CRM's batches as root fields) and only the CRM and orders APIs; their bodies ask for the same
data in their terms (see ``bench.hive`` and ``bench.tailcall`` for what each cannot do).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from bench import tailcall
from bench.hive import BATCHED_ORDERS_LIMIT, CRM_BATCH_LIMIT

FOUR_SOURCES = """
query ($ids: [ID!]!) {
  customers(ids: $ids) {
    id name email
    orders(first: 3) { totalCount edges { node { id total { amount currency } } } }
    loyalty { tier points }
    preferences { channel optIn }
  }
}
"""

TWO_SOURCES = """
query ($ids: [ID!]!) {
  customers(ids: $ids) {
    id name email
    orders(first: 3) { totalCount edges { node { id total { amount currency } } } }
  }
}
"""

SMALL = "query ($id: ID!) { customer(id: $id) { name email } }"

# Ten customer fields and five orders of three fields each.
LARGE_LIST = """
query ($ids: [ID!]!) {
  customers(ids: $ids) {
    id firstName lastName email phone birthDate country city segment createdAt
    orders(first: 5) { edges { node { id status placedAt } } }
  }
}
"""

_HIVE_TWO_SOURCES = "id first_name last_name email {orders} {{ order_id amount_minor currency }}"
_HIVE_LARGE_LIST = (
    "id first_name last_name email phone birth_date country city segment created_at "
    "{orders} {{ order_id status placed_at }}"
)


# Tailcall: the CRM's and the orders API's attributes each query reads, as sparse fields.
_TAILCALL_TWO_SOURCES = (
    "id,first_name,last_name,email",
    "amount_minor,currency",
    "id first_name last_name email orders(limit: 100, fields: {orders}) "
    "{{ orders {{ order_id amount_minor currency }} }}",
)
_TAILCALL_LARGE_LIST = (
    "id,first_name,last_name,email,phone,birth_date,country,city,segment,created_at",
    "status,placed_at",
    "id first_name last_name email phone birth_date country city segment created_at "
    "orders(limit: 100, fields: {orders}) {{ orders {{ order_id status placed_at }} }}",
)


def ids(n: int, start: int = 1) -> list[str]:
    return [str(i) for i in range(start, start + n)]


def body(query: str, variables: dict[str, object] | None = None) -> bytes:
    return orjson.dumps({"query": query, "variables": variables or {}})


def customers_body(query: str, customer_ids: Sequence[str]) -> bytes:
    return body(query, {"ids": list(customer_ids)})


def hive_customers_body(customer_ids: Sequence[str], *, large: bool = False) -> bytes:
    """CRM and orders data for ``customer_ids`` from Hive (see ``bench.hive`` for the limits)."""
    batched = len(customer_ids) <= BATCHED_ORDERS_LIMIT
    template = _HIVE_LARGE_LIST if large else _HIVE_TWO_SOURCES
    selection = template.format(orders="orders" if batched else "ordersByCustomer")
    step = CRM_BATCH_LIMIT
    fields = []
    for n, start in enumerate(range(0, len(customer_ids), step)):
        chunk = orjson.dumps(list(customer_ids[start : start + step])).decode()
        fields.append(f"c{n}: getCustomersBatch(ids: {chunk}) {{ data {{ {selection} }} }}")
    return body("{ " + " ".join(fields) + " }")


def hive_orders_batched(customer_count: int) -> bool:
    """Whether Hive's query for this many customers uses the batched orders field."""
    return customer_count <= BATCHED_ORDERS_LIMIT


def hive_small_body(customer_id: str) -> bytes:
    query = f'{{ getCustomer(id: "{customer_id}") {{ data {{ first_name last_name email }} }} }}'
    return body(query)


def tailcall_customers_body(customer_ids: Sequence[str], *, large: bool = False) -> bytes:
    """CRM and orders data for ``customer_ids`` from Tailcall: one orders call per customer."""
    crm_fields, orders_fields, template = _TAILCALL_LARGE_LIST if large else _TAILCALL_TWO_SOURCES
    selection = template.format(orders=orjson.dumps(orders_fields).decode())
    step = tailcall.CRM_BATCH_LIMIT
    fields = []
    for n, start in enumerate(range(0, len(customer_ids), step)):
        chunk = orjson.dumps(",".join(customer_ids[start : start + step])).decode()
        arguments = f"ids: {chunk}, fields: {orjson.dumps(crm_fields).decode()}"
        fields.append(f"c{n}: customersBatch({arguments}) {{ data {{ {selection} }} }}")
    return body("{ " + " ".join(fields) + " }")


def tailcall_small_body(customer_id: str) -> bytes:
    arguments = f'id: "{customer_id}", fields: "first_name,last_name,email"'
    return body(f"{{ customer({arguments}) {{ data {{ first_name last_name email }} }} }}")


def customer_count(answer: Any) -> int:
    """Customers in an answer of any of the servers (one list, or Hive's or Tailcall's batches)."""
    data = answer.get("data") or {}
    if "customers" in data:
        return sum(1 for c in data["customers"] or () if c)
    if "customer" in data:
        return 1 if data["customer"] else 0
    count = 0
    for field in data.values():
        found = (field or {}).get("data")
        count += len(found) if isinstance(found, list) else int(found is not None)
    return count


def problem(answer: Any, expected_customers: int) -> str | None:
    """Why an answer is not a complete, error-free result; None when it is."""
    errors = answer.get("errors") or []
    if errors:
        return f"{len(errors)} errors, first: {str(errors[0].get('message', ''))[:200]}"
    found = customer_count(answer)
    if found != expected_customers:
        return f"{found} customers in the answer, expected {expected_customers}"
    return None
