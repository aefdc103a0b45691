"""Resolvers: the per-request context, dataloaders, and loading and writing customers from
plain data (which model fields of which sources); GraphQL documents are the schema's."""

from resolvers.context import RequestContext
from resolvers.customers import CustomerPage, CustomerRecords, list_customers, load_customers
from resolvers.provenance import Provenance
from resolvers.warnings import ResponseWarnings
from resolvers.writes import item_writes, profile_writes, update_customer

__all__ = [
    "CustomerPage",
    "CustomerRecords",
    "Provenance",
    "RequestContext",
    "ResponseWarnings",
    "item_writes",
    "list_customers",
    "load_customers",
    "profile_writes",
    "update_customer",
]
