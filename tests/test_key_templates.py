"""Customer ids and a source's own keys translate both ways; keys that fit no id are refused."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datasources.model import KeyTemplate
from tests.conftest import Gateway, Sandbox

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


@pytest.mark.parametrize("customer_id", ["²", "١٢", "7" * 5000, "1" * 21, "", "-3", " 3"])
def test_an_id_no_numeric_source_can_hold_has_no_key(customer_id: str) -> None:
    for template in ("{id:d}", "M-{id:06d}"):
        assert KeyTemplate(template).to_source(customer_id) is None


@pytest.mark.parametrize("source_key", ["²", "M-²", "9" * 5000, "M-" + "9" * 5000])
def test_a_key_of_odd_digits_or_any_length_is_no_customer(source_key: str) -> None:
    assert KeyTemplate("{id:d}").to_customer(source_key) is None
    assert KeyTemplate("M-{id:06d}").to_customer(source_key) is None


def test_a_text_id_is_bounded_in_length() -> None:
    keys = KeyTemplate("{id}")
    assert keys.to_source("a" * 256) == "a" * 256
    assert keys.to_source("a" * 257) is None
    assert KeyTemplate("L-{id}").to_source("a" * 257) is None


def test_odd_ids_are_null_in_place_and_the_rest_of_the_list_stands(
    gateway: Gateway, sandbox: Sandbox
) -> None:
    body = gateway.query('{ customers(ids: ["11", "²", "12", "%s"]) { id } }' % ("7" * 5000))
    assert body == {"data": {"customers": [{"id": "11"}, None, {"id": "12"}, None]}}
    assert sandbox.calls()["crm"] == 1
