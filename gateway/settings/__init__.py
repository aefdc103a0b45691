"""The gateway's settings: the model of every section, and loading it from a file.

The model lives in ``model``, one class per section; ``loading`` is the only code that
reads files and the environment.
"""

from gateway.settings.contract import ContractSettings
from gateway.settings.freshness import FreshnessSettings
from gateway.settings.idempotency import IdempotencySettings
from gateway.settings.loading import (
    DEFAULT_CONFIG,
    ENV_PREFIX,
    ConfigError,
    apply_env_overrides,
    load_or_report,
    load_settings,
)
from gateway.settings.model import (
    CompressionSettings,
    HttpSettings,
    LoggingSettings,
    PersistedQuerySettings,
    ServerSettings,
    Settings,
    SubscriptionSettings,
    TracingSettings,
)
from gateway.settings.response_cache import ResponseCacheSettings

__all__ = [
    "DEFAULT_CONFIG",
    "ENV_PREFIX",
    "CompressionSettings",
    "ConfigError",
    "ContractSettings",
    "FreshnessSettings",
    "HttpSettings",
    "IdempotencySettings",
    "LoggingSettings",
    "PersistedQuerySettings",
    "ResponseCacheSettings",
    "ServerSettings",
    "Settings",
    "SubscriptionSettings",
    "TracingSettings",
    "apply_env_overrides",
    "load_or_report",
    "load_settings",
]
