"""Customer ids and a source's own keys translate both ways; keys that fit no id are refused."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datasources.model import KeyTemplate

KEYS = st.one_of(st.text(max_size=6), st.integers(0, 10**9).map(str), st.just("007"))


@pytest.mark.parametrize("template", ["{id}", "{id:d}", "M-{id:06d}", "C{id:07d}", "x{id}y"])
@given(customer_id=st.integers(1, 10**7).map(str))
def test_an_id_comes_back_from_its_source_key(template: str, customer_id: str) -> None:
    keys = KeyTemplate(template)
    source_key = keys.to_source(customer_id)
    assert source_key is not None
    assert keys.to_customer(source_key) == customer_id


@given(source_key=KEYS)
def test_a_numeric_key_is_read_as_a_number_and_anything_else_refused(source_key: str) -> None:
    expected = str(int(source_key)) if re.fullmatch(r"\d+", source_key) else None
    assert KeyTemplate("{id:d}").to_customer(source_key) == expected
    prefixed = KeyTemplate("M-{id:06d}").to_customer("M-" + source_key)
    assert prefixed == expected
