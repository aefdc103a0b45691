"""HTTP to the upstreams: one client per source, the credentials it presents, and writes."""

from datasources.http.client import SourceClient
from datasources.http.records import Records
from datasources.http.upstream_auth import upstream_auth

__all__ = ["Records", "SourceClient", "upstream_auth"]
