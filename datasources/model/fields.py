"""How one field of the internal model is read from an upstream record, as configured."""

from __future__ import annotations

import re
from typing import Annotated, Final, Literal

import jmespath
from jmespath.exceptions import IncompleteExpressionError, JMESPathError, LexerError
from pydantic import BaseModel, ConfigDict, Field, field_validator

# Record paths that name an attribute (``a`` or ``a.b``) rather than compute a value.
PLAIN_PATH: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def check_jmespath(value: str) -> str:
    """``value`` if it compiles as JMESPath; a ``ValueError`` that says where it does not."""
    try:
        jmespath.compile(value)
    except JMESPathError as exc:
        raise ValueError(f"expected a JMESPath expression; {jmespath_reason(exc)}") from None
    return value


def jmespath_reason(exc: JMESPathError) -> str:
    position = getattr(exc, "lex_position", None)
    reason = str(exc)
    if isinstance(exc, LexerError):
        reason = exc.message
    elif isinstance(exc, IncompleteExpressionError):
        reason = "the expression ends too early"
    elif getattr(exc, "token_value", None) and position is not None:
        reason = f"unexpected {exc.token_value!r}"  # type: ignore[attr-defined]
    where = f" at character {position + 1}" if position is not None else ""
    return f"{reason}{where}"


JMESPath = Annotated[str, Field(min_length=1)]


class FieldSpec(BaseModel):
    """How one field of the internal model is read from an upstream record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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
    values: dict[str, str] | None = Field(
        default=None,
        description="the upstream's words for the model's, e.g. {Silber = 'silver'}; "
        "a word not listed is kept as sent",
    )
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

    _check_path = field_validator("path")(check_jmespath)
