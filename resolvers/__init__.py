"""Resolvers: the per-request context, dataloaders, and loading and writing customers from
plain data (which model fields of which sources); GraphQL documents are the schema's."""

from resolvers.context import RequestContext
from resolvers.customers import CustomerRecords, load_customers
from resolvers.freshness import ResponseFreshness
from resolvers.listing import (
    CustomerPage,
    ListedCustomer,
    ListingPosition,
    check_page_size,
    list_customers,
)
from resolvers.provenance import Provenance
from resolvers.warnings import ResponseWarnings
from resolvers.writes import ClientKey, item_writes, profile_writes, update_customer

__all__ = [
    "ClientKey",
    "CustomerPage",
    "CustomerRecords",
    "ListedCustomer",
    "ListingPosition",
    "Provenance",
    "RequestContext",
    "ResponseFreshness",
    "ResponseWarnings",
    "check_page_size",
    "item_writes",
    "list_customers",
    "load_customers",
    "profile_writes",
    "update_customer",
]
