from __future__ import annotations

import csv
import io

from datasources.codecs.errors import CodecError
from datasources.config import CsvOptions


def decode_csv(body: bytes, options: CsvOptions) -> list[dict[str, str | None]]:
    """Parse a CSV body with a header row into one dict per row.

    Short rows leave the missing columns as None, so a record lacking a column shows up as
    a missing field, not as a shifted one.
    """
    try:
        text = body.decode(options.encoding)
    except UnicodeDecodeError as exc:
        raise CodecError(f"CSV is not valid {options.encoding}: {exc.reason}") from None
    # A BOM left by a non-BOM-aware encoding would end up in the first column's name.
    text = text.removeprefix("\ufeff")
    reader = csv.DictReader(
        io.StringIO(text, newline=""),
        delimiter=options.delimiter,
        quotechar=options.quotechar,
        strict=True,
    )
    try:
        if reader.fieldnames is None:
            return []
        return [{k: v for k, v in row.items() if k is not None} for row in reader]
    except csv.Error as exc:
        raise CodecError(f"malformed CSV at line {reader.line_num}: {exc}") from None
