"""Declarative description of an upstream source, validated with pydantic.

A ``SourceConfig`` says where a REST or GraphQL API lives, how to ask it for many customers at
once, how its payload is shaped and how each record maps onto the internal model. The whole file
format is documented in docs/sources.md.
"""

from __future__ import annotations

import re
import string
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    field_validator,
    model_validator,
)

from datasources.config.graphql import GraphQLRequest, request_problems
from datasources.config.policies import Breaker, RateLimit, Retries
from datasources.config.rules import source_problems, validate_with_rules
from datasources.model import Entity, FieldSpec, JMESPath, check_jmespath

Format = Literal["json", "xml", "csv", "graphql"]

_MEDIA_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+*-]+/[A-Za-z0-9!#$&^_.+*-]+")
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_HEADER_NAME = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"

# The integer specs a key template may use: they format and parse back unambiguously.
_INT_SPEC = re.compile(r"(0[1-9][0-9]*)?d")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IdsIn(_Strict):
    """Where the ids of a batch go in the upstream request."""

    style: Literal["comma", "repeat", "json", "xml"] = "comma"
    name: str = Field(min_length=1, description="query parameter, JSON key or XML element")
    xml_root: str | None = Field(
        default=None, description="for style xml: the root element of the request body"
    )
    xml_namespace: str | None = None


class BatchRequest(_Strict):
    """How to fetch many customers' records in one upstream call."""

    method: Literal["GET", "POST"] = "GET"
    path: str = Field(pattern=r"^/", description="appended to base_url")
    ids: IdsIn
    max_batch_size: int = Field(default=100, ge=1, le=10_000)
    params: dict[str, str] = Field(default_factory=dict, description="fixed query parameters")
    records: JMESPath = Field(description="where the list of records sits in the response")
    key: JMESPath = Field(description="the source key within one record")

    _check_records = field_validator("records", "key")(check_jmespath)


class ListRequest(_Strict):
    """A cursor-paginated listing of customers (only for the primary customer source)."""

    path: str = Field(pattern=r"^/")
    limit_param: str = "limit"
    max_limit: int = Field(default=100, ge=1)
    cursor_param: str = "cursor"
    updated_since_param: str | None = "updated_since"
    records: JMESPath
    next_cursor: JMESPath

    _check_paths = field_validator("records", "next_cursor")(check_jmespath)


class SparseFields(_Strict):
    """The upstream accepts a list of attributes to return."""

    param: str = "fields"
    always: tuple[str, ...] = Field(
        default=(), description="attributes always requested, such as the record key"
    )


class Timeouts(_Strict):
    """Per-source time limits in seconds; ``total`` bounds one whole call, body included."""

    connect: float = Field(default=1.0, gt=0)
    read: float = Field(default=5.0, gt=0, description="longest wait for the next bytes")
    total: float = Field(default=8.0, gt=0, description="one attempt, from sending to last byte")


class CsvOptions(_Strict):
    """How the upstream writes CSV."""

    delimiter: str = Field(default=",", min_length=1, max_length=1)
    quotechar: str = Field(default='"', min_length=1, max_length=1)
    encoding: str = "utf-8-sig"

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown text encoding {value!r}") from None
        return value


class XmlOptions(_Strict):
    """How XML element names are presented to the mapping's JMESPath expressions."""

    namespaces: dict[str, str] = Field(
        default_factory=dict,
        description="prefix -> namespace URI; elements in these namespaces are named prefix_local",
    )
    attribute_prefix: str = "@"
    text_key: str = "#text"


class NoAuth(_Strict):
    """The upstream needs no credentials."""

    kind: Literal["none"] = "none"


class HeaderAuth(_Strict):
    """A static header, such as an API key, whose value comes from an environment variable."""

    kind: Literal["header"]
    header: str = Field(default="X-API-Key", pattern=_HEADER_NAME)
    value_env: str = Field(pattern=_ENV_NAME)


class BearerAuth(_Strict):
    """A static bearer token from an environment variable."""

    kind: Literal["bearer"]
    token_env: str = Field(pattern=_ENV_NAME)


class OAuth2ClientCredentials(_Strict):
    """OAuth2 client credentials; the token is cached until shortly before it expires."""

    kind: Literal["oauth2"]
    token_url: str = Field(pattern=r"^https?://")
    client_id_env: str = Field(pattern=_ENV_NAME)
    client_secret_env: str = Field(pattern=_ENV_NAME)
    scope: str | None = None
    audience: str | None = None
    client_auth: Literal["basic", "body"] = Field(
        default="basic",
        description="send the client credentials as HTTP Basic auth or as form fields",
    )
    refresh_before: float = Field(
        default=30.0, ge=0, description="seconds before expiry a cached token is replaced"
    )


class UpdateRequest(_Strict):
    """How to change one customer's record upstream (or one item, for list entities).

    Each field is written to the attribute its read ``path`` names, so only fields with
    plain dotted paths can be written; the config fails to load otherwise.
    """

    method: Literal["PUT", "PATCH", "POST"] = "PATCH"
    path: str = Field(
        pattern=r"^/",
        description="appended to base_url; {key} is the source key, other placeholders "
        "name model fields that identify the item (e.g. {channel})",
    )
    body: Literal["json", "form"] = "json"
    fields: tuple[str, ...] = Field(min_length=1, description="the model fields clients may set")
    idempotency_header: str | None = Field(
        default="Idempotency-Key",
        pattern=_HEADER_NAME,
        description="header carrying the write's idempotency key; unset if the upstream has "
        "none, and then writes are never retried",
    )


class WebhookConfig(_Strict):
    """Signed change notices this upstream posts to ``/webhooks/{source}`` (docs/sync.md).

    The signature is HMAC-SHA256 over ``{timestamp}.{raw body}`` with the secret read from
    ``secret_env``; the body is JSON, read with the ``ids`` and ``event`` expressions.
    """

    secret_env: str = Field(pattern=_ENV_NAME, description="variable holding the shared secret")
    header: str = Field(default="X-Signature", pattern=_HEADER_NAME)
    timestamp_header: str = Field(default="X-Signature-Timestamp", pattern=_HEADER_NAME)
    tolerance: float = Field(
        default=300.0, gt=0, description="seconds a notice's timestamp may be off from now"
    )
    max_body_bytes: int = Field(default=65_536, ge=256, le=16 * 1024 * 1024)
    ids: JMESPath = Field(default="customer_ids", description="where the changed ids are")
    event: JMESPath = Field(
        default="event", description="what happened; 'updated' when the body has none"
    )
    ids_are: Literal["customer_ids", "source_keys"] = Field(
        default="customer_ids",
        description="source_keys: the ids are the source's own keys, read back through "
        "key_template",
    )
    max_ids: int = Field(default=1000, ge=1, le=100_000)

    _check_paths = field_validator("ids", "event")(check_jmespath)


SourceAuth = Annotated[
    NoAuth | HeaderAuth | BearerAuth | OAuth2ClientCredentials, Field(discriminator="kind")
]


class SourceConfig(_Strict):
    """Everything the gateway needs to know about one upstream API: REST (``batch``) or
    GraphQL (``graphql``)."""

    base_url: str = Field(pattern=r"^https?://", description="scheme, host and path prefix")
    format: Format
    entity: Entity = Field(description="which part of the Customer this source feeds")
    primary: bool = Field(
        default=False,
        description="for entity customer: this source decides whether a customer exists",
    )
    key_template: str = Field(
        default="{id}", description="the source's key for our customer id, e.g. 'M-{id:06d}'"
    )
    batch: BatchRequest | None = Field(default=None, description="REST: the batch request")
    graphql: GraphQLRequest | None = Field(
        default=None, description="format graphql: the upstream operation"
    )
    listing: ListRequest | None = None
    sparse_fields: SparseFields | None = None
    fields: dict[str, FieldSpec] = Field(min_length=1)
    ttl: float = Field(default=60.0, ge=0, description="seconds a cached record stays fresh")
    stale_while_revalidate: float = Field(
        default=0.0,
        ge=0,
        description="seconds past ttl a record is still served while it is refreshed behind",
    )
    stale_if_error: float = Field(
        default=0.0,
        ge=0,
        description="seconds past ttl a record is served, with a warning, when the upstream fails",
    )
    timeouts: Timeouts = Field(default_factory=Timeouts)
    retries: Retries = Field(default_factory=Retries)
    breaker: Breaker = Field(default_factory=Breaker)
    rate_limit: RateLimit | None = None
    max_concurrency: int = Field(default=10, ge=1, le=1000)
    max_response_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    csv: CsvOptions = Field(default_factory=CsvOptions)
    xml: XmlOptions = Field(default_factory=XmlOptions)
    auth: SourceAuth = Field(default_factory=NoAuth)
    forward_caller_token: bool = Field(
        default=False, description="send the GraphQL caller's bearer token to this upstream"
    )
    content_types: tuple[str, ...] | None = Field(
        default=None,
        description="media types accepted in responses; None: the format's usual ones; '*/*': any",
    )
    update: UpdateRequest | None = None
    webhook: WebhookConfig | None = None

    @property
    def max_batch_size(self) -> int:
        """The most customers one upstream call may carry."""
        request = self.graphql or self.batch
        # The rules require one of them (datasources/config/rules.py).
        assert request is not None
        return request.max_batch_size

    @property
    def answers_only_fields_asked(self) -> bool:
        """Whether an answer holds only the fields asked for (sparse fieldsets, GraphQL)."""
        return self.sparse_fields is not None or self.graphql is not None

    @field_validator("content_types")
    @classmethod
    def _media_types(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        if not all(_MEDIA_TYPE.fullmatch(t) for t in value):
            raise ValueError("expected media types such as 'application/json' or '*/*'")
        return tuple(t.lower() for t in value)

    @field_validator("key_template")
    @classmethod
    def _template_has_one_id(cls, value: str) -> str:
        try:
            parts = [p for p in string.Formatter().parse(value) if p[1] is not None]
        except ValueError as exc:
            raise ValueError(f"expected a key template such as 'M-{{id:06d}}'; {exc}") from None
        names = [p[1] for p in parts]
        if names != ["id"]:
            raise ValueError(
                "expected exactly one '{id}' placeholder, "
                f"not {', '.join(map(repr, names)) if names else 'none'}"
            )
        spec, conversion = parts[0][2] or "", parts[0][3]
        if conversion or (spec and not _INT_SPEC.fullmatch(spec)):
            raise ValueError(
                "expected '{id}', '{id:d}' or a zero-padded integer such as '{id:06d}'"
            )
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _keys_fit_together(
        cls, data: Any, handler: ModelWrapValidatorHandler[SourceConfig]
    ) -> SourceConfig:
        problems = source_problems(data) + request_problems(data)
        return validate_with_rules(cls.__name__, data, handler, problems)
