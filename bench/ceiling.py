"""The ceiling: a minimal Starlette endpoint answering the small query from an in-memory dict.

It parses the request body, looks the customer up and encodes the same JSON the gateway
answers, with nothing else: what one Python process under uvicorn can serve on this machine,
and the trivial endpoint that shows the load driver is not the bottleneck.
Run with ``python -m bench.ceiling --port 8400``.
"""

from __future__ import annotations

import argparse

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import SandboxSettings
from sandbox.data import Dataset


def create_app(customers: int) -> Starlette:
    """Answers ``customer(id) { name email }`` for ids 1..``customers`` from memory."""
    dataset = Dataset(SandboxSettings(customers=customers))
    answers: dict[str, bytes] = {}
    for number in range(1, customers + 1):
        record = dataset.customer(str(number))
        if record is None:
            continue
        name = f"{record.first_name} {record.last_name}"
        customer = {"name": name, "email": record.email}
        answers[str(number)] = orjson.dumps({"data": {"customer": customer}})
    empty = orjson.dumps({"data": {"customer": None}})

    async def graphql(request: Request) -> Response:
        payload = orjson.loads(await request.body())
        customer_id = str(payload.get("variables", {}).get("id", ""))
        return Response(answers.get(customer_id, empty), media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return Starlette(
        routes=[Route("/graphql", graphql, methods=["POST"]), Route("/healthz", healthz)]
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ceiling", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--customers", type=int, default=1000)
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.customers),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
