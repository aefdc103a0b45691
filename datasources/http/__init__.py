"""HTTP to the upstreams: one client per source, the credentials it presents, and writes."""

from datasources.http.chunks import fetch_in_chunks
from datasources.http.client import SourceClient
from datasources.http.exchange import Upstream
from datasources.http.records import Records
from datasources.http.upstream_auth import UpstreamAuth, upstream_auth

__all__ = [
    "Records",
    "SourceClient",
    "Upstream",
    "UpstreamAuth",
    "fetch_in_chunks",
    "upstream_auth",
]
