"""The support desk's tickets, generated per customer like the other APIs' records."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..data import DATA_HORIZON, Dataset

TICKET_STATUSES = ("OPEN", "PENDING", "SOLVED", "CLOSED")
_STATUS_WEIGHTS = (2, 1, 4, 6)
SUBJECTS = (
    "Parcel arrived damaged",
    "Refund not received",
    "Cannot log in",
    "Change delivery address",
    "Invoice needed",
    "Loyalty points missing",
    "Unsubscribe from newsletter",
)
AGENTS = (("Ada Lovelace", "ada"), ("Grace Hopper", "grace"), ("Alan Turing", "alan"))


@dataclass(frozen=True)
class Agent:
    """The support agent a ticket is assigned to."""

    name: str
    email: str


@dataclass(frozen=True)
class Ticket:
    """A support ticket; `priority` runs from 1 (urgent) to 4 (low)."""

    id: str
    customer_id: str
    subject: str
    status: str
    priority: int
    opened_at: datetime
    agent: Agent | None


class SupportDesk:
    """Every customer's tickets, newest first; unknown customers have none."""

    def __init__(self, dataset: Dataset, seed: int, cache_size: int = 20_000) -> None:
        self._dataset = dataset
        self._seed = seed
        self._cached = functools.lru_cache(maxsize=cache_size)(self._tickets)

    def tickets(self, customer_id: str) -> tuple[Ticket, ...]:
        return self._cached(customer_id)

    def _tickets(self, customer_id: str) -> tuple[Ticket, ...]:
        customer = self._dataset.customer(customer_id)
        if customer is None:
            return ()
        rng = random.Random(f"{self._seed}:{customer_id}:tickets")
        span = int((DATA_HORIZON - customer.created_at).total_seconds())
        opened = sorted(
            customer.created_at + timedelta(seconds=rng.randint(0, span))
            for _ in range(rng.randint(0, 4))
        )
        tickets = []
        for n, opened_at in enumerate(opened, start=1):
            status = rng.choices(TICKET_STATUSES, _STATUS_WEIGHTS)[0]
            name, mailbox = rng.choice(AGENTS)
            tickets.append(
                Ticket(
                    id=f"T-{customer_id}-{n}",
                    customer_id=customer_id,
                    subject=rng.choice(SUBJECTS),
                    status=status,
                    priority=rng.randint(1, 4),
                    opened_at=opened_at,
                    # A ticket nobody has picked up yet has no agent.
                    agent=None if status == "OPEN" else Agent(name, f"{mailbox}@support.example"),
                )
            )
        return tuple(reversed(tickets))
