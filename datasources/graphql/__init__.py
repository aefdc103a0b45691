"""GraphQL upstreams as sources: one operation per batch (``_entities`` or a list field),
asking only for the fields wanted, answers and errors mapped per customer."""

from datasources.graphql.client import GraphQLSourceClient

__all__ = ["GraphQLSourceClient"]
