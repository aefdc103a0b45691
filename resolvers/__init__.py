"""Resolvers: the per-request context, dataloaders and the look-ahead that plans loads."""

from resolvers.context import RequestContext
from resolvers.customers import CustomerPage, CustomerRecords, list_customers, load_customers
from resolvers.demand import DemandTable
from resolvers.warnings import ResponseWarnings
from resolvers.writes import item_writes, profile_writes, update_customer

__all__ = [
    "CustomerPage",
    "CustomerRecords",
    "DemandTable",
    "RequestContext",
    "ResponseWarnings",
    "item_writes",
    "list_customers",
    "load_customers",
    "profile_writes",
    "update_customer",
]
