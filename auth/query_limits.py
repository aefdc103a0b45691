"""The query limits as policy: whether an operation's measures (schema/measure.py takes
them) are within what its caller's client class may send."""

from __future__ import annotations

from dataclasses import dataclass

from auth.config import QueryLimitSettings
from core import QueryLimitExceeded

# Depth is measured up to here (the largest max_depth allowed); deeper is "more than".
MAX_MEASURED_DEPTH = 100


@dataclass(frozen=True, slots=True)
class QueryMeasures:
    """The size of one operation."""

    depth: int
    aliases: int
    largest_list: int
    cost: int


def check_tokens(tokens: int, limits: QueryLimitSettings, client_class: str) -> None:
    """Raise ``QueryLimitExceeded`` when a query of ``tokens`` tokens is over the limit."""
    if tokens > limits.max_tokens:
        raise QueryLimitExceeded(
            f"query has more than {limits.max_tokens} tokens, the maximum for "
            f"{client_class} clients",
            limit="tokens",
            maximum=limits.max_tokens,
            actual=tokens,
        )


def check_operation(measures: QueryMeasures, limits: QueryLimitSettings, client_class: str) -> None:
    """Raise ``QueryLimitExceeded`` for the first limit the operation is over."""
    who = f"{client_class} clients"
    if measures.depth > limits.max_depth:
        depth = (
            str(measures.depth)
            if measures.depth <= MAX_MEASURED_DEPTH
            else f"more than {MAX_MEASURED_DEPTH}"
        )
        raise QueryLimitExceeded(
            f"query depth {depth} exceeds the maximum of {limits.max_depth} for {who}",
            limit="depth",
            maximum=limits.max_depth,
            actual=measures.depth,
        )
    if measures.aliases > limits.max_aliases:
        raise QueryLimitExceeded(
            f"query uses {measures.aliases} aliases; at most {limits.max_aliases} are "
            f"allowed for {who}",
            limit="aliases",
            maximum=limits.max_aliases,
            actual=measures.aliases,
        )
    if measures.largest_list > limits.max_list_size:
        raise QueryLimitExceeded(
            f"query asks for a list of {measures.largest_list} items; at most "
            f"{limits.max_list_size} are allowed for {who}",
            limit="listSize",
            maximum=limits.max_list_size,
            actual=measures.largest_list,
        )
    if measures.cost > limits.max_cost:
        raise QueryLimitExceeded(
            f"query cost {measures.cost} exceeds the maximum of {limits.max_cost} for {who} "
            "(each field counts once per item; a list counts as many items as its "
            "'first' or 'ids' argument asks for, or its list 'input' writes)",
            limit="cost",
            maximum=limits.max_cost,
            actual=measures.cost,
        )
