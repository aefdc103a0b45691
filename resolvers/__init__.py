"""Resolvers: the per-request context, dataloaders and the look-ahead that plans loads."""

from resolvers.context import RequestContext
from resolvers.customers import CustomerPage, CustomerRecords, list_customers, load_customers
from resolvers.demand import DemandTable

__all__ = [
    "CustomerPage",
    "CustomerRecords",
    "DemandTable",
    "RequestContext",
    "list_customers",
    "load_customers",
]
