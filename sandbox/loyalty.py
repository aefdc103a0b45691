"""The loyalty API (XML in the `urn:example:loyalty` namespace): member lookup by number."""

from __future__ import annotations

from collections.abc import Iterable
from xml.etree.ElementTree import ParseError
from xml.sax.saxutils import escape, quoteattr

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException
from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import params
from .data import Dataset, LoyaltyMember
from .keys import customer_id_of_member
from .params import BadRequest

NAMESPACE = "urn:example:loyalty"
MAX_BATCH = 100
MEDIA_TYPE = "application/xml"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def create_loyalty_app(dataset: Dataset) -> Starlette:
    """The loyalty sub-app over `dataset`."""

    def find(number: str) -> LoyaltyMember | None:
        customer_id = customer_id_of_member(number)
        return dataset.loyalty(customer_id) if customer_id is not None else None

    async def lookup(request: Request) -> Response:
        numbers = params.batch_keys(
            parse_lookup(await request.body()),
            "lookup numbers",
            MAX_BATCH,
            lambda n: customer_id_of_member(n) is not None,
        )
        members = (find(number) for number in numbers)
        return _xml(_members(m for m in members if m is not None))

    async def one(request: Request) -> Response:
        number: str = request.path_params["number"]
        if customer_id_of_member(number) is None:
            raise BadRequest(f"malformed member number {number!r}")
        member = find(number)
        if member is None:
            return _xml(_error("not found"), 404)
        return _xml(_member(member, declare_namespace=True))

    async def bad_request(request: Request, exc: Exception) -> Response:
        return _xml(_error(str(exc)), 400)

    return Starlette(
        routes=[
            Route("/members/lookup", lookup, methods=["POST"]),
            Route("/members/{number}", one, methods=["GET"]),
        ],
        exception_handlers={BadRequest: bad_request},
    )


def parse_lookup(body: bytes) -> list[str]:
    """The member numbers in a `<lookup>` body, in document order."""
    try:
        root = SafeElementTree.fromstring(body)
    except (ParseError, DefusedXmlException) as exc:
        raise BadRequest(f"malformed XML body: {exc}") from None
    if root.tag != f"{{{NAMESPACE}}}lookup":
        raise BadRequest(f"root element must be lookup in namespace {NAMESPACE}")
    numbers: list[str] = []
    for child in root:
        if child.tag != f"{{{NAMESPACE}}}number":
            raise BadRequest(f"unexpected element {child.tag} in lookup")
        numbers.append((child.text or "").strip())
    return numbers


def requested_keys(path: str, query: QueryParams, body: bytes) -> list[str]:
    """The member numbers a request asks for, as sent; [] if the body cannot be read."""
    if path == "/members/lookup":
        try:
            return parse_lookup(body)
        except BadRequest:
            return []
    prefix = "/members/"
    return [path.removeprefix(prefix)] if path.startswith(prefix) else []


def _members(members: Iterable[LoyaltyMember]) -> str:
    inner = "".join(_member(m) for m in members)
    return f'<lty:members xmlns:lty="{NAMESPACE}">{inner}</lty:members>'


def _member(member: LoyaltyMember, declare_namespace: bool = False) -> str:
    namespace = f' xmlns:lty="{NAMESPACE}"' if declare_namespace else ""
    return (
        f"<lty:member{namespace} number={quoteattr(member.number)}>"
        f"<lty:tier>{member.tier}</lty:tier>"
        f"<lty:points>{member.points:,}</lty:points>"
        f"<lty:since>{member.member_since.isoformat()}</lty:since>"
        "</lty:member>"
    )


def _error(message: str) -> str:
    return f"<error>{escape(message)}</error>"


def _xml(document: str, status: int = 200) -> Response:
    return Response(_DECLARATION + document, status, media_type=MEDIA_TYPE)
