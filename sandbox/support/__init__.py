"""The support desk: a GraphQL API (and Federation 2 subgraph) of tickets per customer."""

from .app import create_support_app, graphql_request, requested_keys
from .tickets import SupportDesk

__all__ = ["SupportDesk", "create_support_app", "graphql_request", "requested_keys"]
