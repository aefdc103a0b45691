"""Declarative description of an upstream source, validated with pydantic.

A ``SourceConfig`` says where a REST API lives, how to ask it for many customers at once,
how its payload is shaped and how each record maps onto the internal model. The whole file
format is documented in docs/sources.md.
"""

from __future__ import annotations

import string
from typing import Annotated, Any, Literal

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from datasources.models import ENTITY_MODELS, Entity, ModelField, model_fields

Format = Literal["json", "xml", "csv"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_jmespath(value: str) -> str:
    try:
        jmespath.compile(value)
    except JMESPathError as exc:
        reason = str(exc).splitlines()[0].removeprefix("Invalid jmespath expression: ")
        position = getattr(exc, "lex_position", None)
        where = f" at character {position}" if position is not None else ""
        raise ValueError(f"invalid JMESPath expression{where}: {reason}") from None
    return value


JMESPath = Annotated[str, Field(min_length=1)]


class FieldSpec(_Strict):
    """How one field of the internal model is read from an upstream record."""

    path: JMESPath
    type: Literal["string", "int", "decimal", "bool", "date", "datetime", "list"] | None = None
    required: bool = False
    trim: bool = True
    format: str | None = Field(
        default=None, description="strptime format for date/datetime; ISO 8601 when unset"
    )
    true_values: tuple[str, ...] = ("true", "yes", "y", "1")
    false_values: tuple[str, ...] = ("false", "no", "n", "0")
    thousands_separator: str | None = None
    decimal_separator: str = "."
    major_to_minor: int | None = Field(
        default=None,
        ge=0,
        le=4,
        description="the upstream sends major units with this many decimals; store minor units",
    )
    attributes: tuple[str, ...] | None = Field(
        default=None,
        description="upstream attributes to request for this field; derived from path when unset",
    )
    fields: dict[str, FieldSpec] | None = Field(
        default=None, description="for list fields: the mapping of each item"
    )

    _check_path = field_validator("path")(_check_jmespath)


class IdsIn(_Strict):
    """Where the ids of a batch go in the upstream request."""

    style: Literal["comma", "repeat", "json", "xml"] = "comma"
    name: str = Field(min_length=1, description="query parameter, JSON key or XML element")
    xml_root: str | None = Field(
        default=None, description="for style xml: the root element of the request body"
    )
    xml_namespace: str | None = None

    @model_validator(mode="after")
    def _xml_needs_root(self) -> IdsIn:
        if self.style == "xml" and not self.xml_root:
            raise ValueError("ids style 'xml' needs xml_root (the request body's root element)")
        return self


class BatchRequest(_Strict):
    """How to fetch many customers' records in one upstream call."""

    method: Literal["GET", "POST"] = "GET"
    path: str = Field(pattern=r"^/", description="appended to base_url")
    ids: IdsIn
    max_batch_size: int = Field(default=100, ge=1, le=10_000)
    params: dict[str, str] = Field(default_factory=dict, description="fixed query parameters")
    records: JMESPath = Field(description="where the list of records sits in the response")
    key: JMESPath = Field(description="the source key within one record")

    _check_records = field_validator("records", "key")(_check_jmespath)

    @model_validator(mode="after")
    def _body_needs_post(self) -> BatchRequest:
        if self.ids.style in ("json", "xml") and self.method != "POST":
            raise ValueError(f"ids style {self.ids.style!r} sends a body and needs method POST")
        return self


class ListRequest(_Strict):
    """A cursor-paginated listing of customers (only for the primary customer source)."""

    path: str = Field(pattern=r"^/")
    limit_param: str = "limit"
    max_limit: int = Field(default=100, ge=1)
    cursor_param: str = "cursor"
    updated_since_param: str | None = "updated_since"
    records: JMESPath
    next_cursor: JMESPath

    _check_paths = field_validator("records", "next_cursor")(_check_jmespath)


class SparseFields(_Strict):
    """The upstream accepts a list of attributes to return."""

    param: str = "fields"
    always: tuple[str, ...] = Field(
        default=(), description="attributes always requested, such as the record key"
    )


class Timeouts(_Strict):
    """Per-source time limits in seconds."""

    connect: float = Field(default=1.0, gt=0)
    read: float = Field(default=5.0, gt=0)
    total: float = Field(default=8.0, gt=0)


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
    kind: Literal["none"] = "none"


class HeaderAuth(_Strict):
    """A static header, such as an API key, whose value comes from an environment variable."""

    kind: Literal["header"]
    header: str = "X-API-Key"
    value_env: str


class BearerAuth(_Strict):
    """A static bearer token from an environment variable."""

    kind: Literal["bearer"]
    token_env: str


class OAuth2ClientCredentials(_Strict):
    """OAuth2 client credentials; the token is cached until shortly before it expires."""

    kind: Literal["oauth2"]
    token_url: str
    client_id_env: str
    client_secret_env: str
    scope: str | None = None
    audience: str | None = None


SourceAuth = Annotated[
    NoAuth | HeaderAuth | BearerAuth | OAuth2ClientCredentials, Field(discriminator="kind")
]


class SourceConfig(_Strict):
    """Everything the gateway needs to know about one upstream REST API."""

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
    batch: BatchRequest
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
    max_concurrency: int = Field(default=10, ge=1, le=1000)
    max_response_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    csv: CsvOptions = Field(default_factory=CsvOptions)
    xml: XmlOptions = Field(default_factory=XmlOptions)
    auth: SourceAuth = Field(default_factory=NoAuth)

    @field_validator("key_template")
    @classmethod
    def _template_has_one_id(cls, value: str) -> str:
        try:
            parts = [p for p in string.Formatter().parse(value) if p[1] is not None]
        except ValueError as exc:
            raise ValueError(f"invalid key template {value!r}: {exc}") from None
        names = [p[1] for p in parts]
        if names != ["id"]:
            raise ValueError(
                f"key template {value!r} must contain exactly one '{{id}}' placeholder, "
                f"found {names or 'none'}"
            )
        spec = parts[0][2] or ""
        if spec and not spec.endswith("d"):
            raise ValueError(
                f"key template {value!r}: only integer format specs such as '{{id:06d}}' "
                "are supported"
            )
        return value

    @field_validator("fields")
    @classmethod
    def _fields_exist_in_model(
        cls, value: dict[str, FieldSpec], info: ValidationInfo
    ) -> dict[str, FieldSpec]:
        entity = info.data.get("entity")
        if entity is None:
            return value
        errors = _unknown_fields(value, model_fields(ENTITY_MODELS[entity]), f"entity {entity!r}")
        if errors:
            raise ValueError("; ".join(errors))
        return value

    @model_validator(mode="after")
    def _primary_and_listing(self) -> SourceConfig:
        if self.listing is not None and not self.primary:
            raise ValueError("'listing' is only allowed on the primary customer source")
        if self.primary and self.entity != "customer":
            raise ValueError("'primary' is only allowed on a source with entity 'customer'")
        return self


def _unknown_fields(
    specs: dict[str, FieldSpec], known: dict[str, ModelField], where: str
) -> list[str]:
    errors: list[str] = []
    for name, spec in specs.items():
        target = known.get(name)
        if target is None:
            errors.append(
                f"{name}: unknown target field for {where}; "
                f"expected one of {', '.join(sorted(known))}"
            )
            continue
        if spec.type is not None and spec.type != target.kind:
            errors.append(
                f"{name}: declared type {spec.type!r} does not match the model's {target.kind!r}"
            )
        if target.kind == "list":
            if not spec.fields:
                errors.append(f"{name}: a list field needs 'fields' for its items")
            elif target.item_model is not None:
                errors.extend(
                    _unknown_fields(spec.fields, model_fields(target.item_model), f"{name} items")
                )
        elif spec.fields:
            errors.append(f"{name}: 'fields' is only allowed on list fields")
    return errors


def config_error_details(exc: Any) -> list[str]:
    """Readable one-line messages for a pydantic ValidationError, each with its location."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        found = err.get("input")
        msg = err["msg"].removeprefix("Value error, ")
        shown = "" if isinstance(found, dict) else f" (found {found!r})"
        lines.append(f"{loc}: {msg}{shown}")
    return lines
