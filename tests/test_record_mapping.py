"""A record maps field by field: each value as its field's coercion makes it, each failure named."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from datasources.model import (
    ChannelPreference,
    CustomerProfile,
    FieldSpec,
    Order,
    RecordMapper,
    build_coercer,
    model_fields,
)

# Every kind, with and without the options that change a coercion.
MAPPINGS: list[tuple[type[Any], dict[str, FieldSpec]]] = [
    (
        CustomerProfile,
        {
            "first_name": FieldSpec(path="a", required=True),
            "last_name": FieldSpec(path="b", trim=False),
            "birth_date": FieldSpec(path="c", type="date"),
            "created_at": FieldSpec(path="d", type="datetime"),
            "updated_at": FieldSpec(path="e", type="datetime", format="%d.%m.%Y %H:%M"),
        },
    ),
    (
        Order,
        {
            "id": FieldSpec(path='"@id"', required=True),
            "total_minor": FieldSpec(path="a", type="int"),
            "currency": FieldSpec(path="b.c"),
        },
    ),
    (Order, {"total_minor": FieldSpec(path="a", type="int", major_to_minor=2)}),
    (
        ChannelPreference,
        {
            "opt_in": FieldSpec(path="a", type="bool", true_values=("Y",), false_values=("N",)),
            "language": FieldSpec(path="b", type="string"),
        },
    ),
]

VALUES = st.one_of(
    st.none(),
    st.sampled_from(["", " ", " x ", "7", "7.50", "Y", "N", "1990-01-02", "2024-01-02T03:04:05"]),
    st.sampled_from(["02.01.2024 03:04", "2024-01-02T03:04:05+02:00"]),
    st.text(max_size=3),
    st.integers(-(10**12), 10**12),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.just([1]),
    st.just({"c": "EUR"}),
)
KEYS = st.sampled_from(["a", "b", "c", "d", "e", "@id"])


def _by_hand(model: type[Any], specs: dict[str, FieldSpec], raw: Any) -> tuple[Any, Any]:
    """What each field's own coercion gives, one field at a time."""
    kinds = model_fields(model)
    values: dict[str, tuple[type[Any], Any]] = {}
    issues: dict[str, str] = {}
    for name, spec in specs.items():
        value: Any = raw
        for key in spec.path.strip('"').split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if value is None or value == "":
            if spec.required:
                issues[name] = "required value is missing"
            continue
        try:
            coerced = build_coercer(kinds[name].kind, spec)(value)
        except ValueError as exc:
            issues[name] = str(exc)
        else:
            values[name] = (type(coerced), coerced)
    return values, issues


@given(
    mapping=st.sampled_from(MAPPINGS),
    raw=st.one_of(st.dictionaries(KEYS, st.one_of(VALUES, st.just({"c": 7}))), VALUES),
)
def test_each_field_is_what_its_coercion_makes_and_each_failure_is_named(
    mapping: tuple[type[Any], dict[str, FieldSpec]], raw: Any
) -> None:
    model, specs = mapping
    record = RecordMapper(model, specs).map(raw)
    values, issues = _by_hand(model, specs, raw)
    for name in specs:
        found = getattr(record, name)
        assert (type(found), found) == values.get(name, (type(None), None))
    assert dict(record.issues) == issues


def test_a_sparse_fieldset_maps_only_the_fields_asked_for() -> None:
    model, specs = MAPPINGS[1]
    mapper = RecordMapper(model, specs)
    raw = {"a": "x", "b": {"c": "EUR"}}
    for _ in range(2):
        record = mapper.map(raw, frozenset({"currency"}))
        assert (record.id, record.total_minor, record.currency) == (None, None, "EUR")
        assert not record.issues
    assert dict(mapper.map(raw).issues) == {
        "id": "required value is missing",
        "total_minor": "expected a number, found 'x'",
    }
