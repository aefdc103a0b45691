"""The plan compiler: validated query operations compiled once, then run without the executor.

See docs/performance.md for the design and for what falls back to Strawberry.
"""

from schema.fastpath.fast_path import FastPath
from schema.fastpath.integration import FastPathExtension, FastPathSchema
from schema.fastpath.prepared import PreparedExtension, PreparedOperation

__all__ = [
    "FastPath",
    "FastPathExtension",
    "FastPathSchema",
    "PreparedExtension",
    "PreparedOperation",
]
