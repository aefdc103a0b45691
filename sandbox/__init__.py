"""Sample upstreams for the gateway to aggregate: four REST APIs (CRM, orders, loyalty,
preferences) and a GraphQL support desk (``sandbox.support``).

The data is generated deterministically (see `sandbox.data.Dataset`); faults can be injected
per API at startup or at runtime through the `/_faults` control endpoint.
"""

from .app import create_app
from .fault_spec import faults_from_env, parse_fault_spec
from .settings import API_NAMES, Fault, SandboxSettings

__all__ = [
    "API_NAMES",
    "Fault",
    "SandboxSettings",
    "create_app",
    "faults_from_env",
    "parse_fault_spec",
]
