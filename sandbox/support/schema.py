"""The support desk's GraphQL schema: a list field for many customers, and the federation
entity ``Customer`` (``_entities``, ``_service``) as a Federation 2 subgraph would offer it.

The desk has its own naming (camelCase, ``openedAt`` as text, agents nested), so a source
mapping onto the gateway's model has something to translate. Faults of the ``support`` API
that concern GraphQL (``error_every``, ``invalid_every``) are applied here, per customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext, Info

from ..faults import FaultTable
from .tickets import SupportDesk
from .tickets import Ticket as TicketRecord

MAX_CUSTOMERS = 100


@dataclass(frozen=True)
class DeskContext:
    """What every resolver reads: the tickets, and the faults as they are right now."""

    desk: SupportDesk
    faults: FaultTable


@strawberry.enum
class TicketStatus(Enum):
    OPEN = "OPEN"
    PENDING = "PENDING"
    SOLVED = "SOLVED"
    CLOSED = "CLOSED"


@strawberry.type
class Agent:
    name: str
    email: str


@strawberry.type
class Ticket:
    id: strawberry.ID
    customer_id: strawberry.ID
    subject: str
    status: TicketStatus
    priority: int
    opened_at: str = strawberry.field(description="ISO 8601, UTC.")
    record: strawberry.Private[TicketRecord]

    @strawberry.field
    def agent(self, info: Info[DeskContext, None]) -> Agent | None:
        every = info.context.faults.get("support").error_every
        if every and int(self.customer_id) % every == 0:
            raise RuntimeError(f"agent directory unavailable for ticket {self.id}")
        agent = self.record.agent
        return Agent(name=agent.name, email=agent.email) if agent is not None else None


@strawberry.federation.type(keys=["id"])
class Customer:
    id: strawberry.ID

    @strawberry.field
    def tickets(self, info: Info[DeskContext, None]) -> list[Ticket]:
        return _tickets(info.context, str(self.id))

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Customer:
        return cls(id=id)


@strawberry.type
class Query:
    @strawberry.field(description="The tickets of up to 100 customers, newest first.")
    def tickets(
        self, info: Info[DeskContext, None], customer_ids: list[strawberry.ID]
    ) -> list[Ticket]:
        if len(customer_ids) > MAX_CUSTOMERS:
            raise ValueError(f"at most {MAX_CUSTOMERS} customer ids, got {len(customer_ids)}")
        return [t for cid in dict.fromkeys(customer_ids) for t in _tickets(info.context, cid)]


def _tickets(context: DeskContext, customer_id: str) -> list[Ticket]:
    every = context.faults.get("support").invalid_every
    broken = every > 0 and customer_id.isdigit() and int(customer_id) % every == 0
    return [
        Ticket(
            id=strawberry.ID(t.id),
            customer_id=strawberry.ID(t.customer_id),
            subject=t.subject,
            status=TicketStatus(t.status),
            priority=t.priority,
            opened_at="not a timestamp"
            if broken
            else t.opened_at.isoformat().replace("+00:00", "Z"),
            record=t,
        )
        for t in context.desk.tickets(customer_id)
    ]


class _DeskSchema(strawberry.federation.Schema):
    def process_errors(
        self, errors: Sequence[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Every error the desk raises is an injected fault or a refused request, told to the
        # client; a traceback per error would bury the test logs.
        return


SCHEMA = _DeskSchema(query=Query, types=[Customer])
