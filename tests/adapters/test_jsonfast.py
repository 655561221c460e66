"""`adapters.jsonfast.loads`: what `json.loads` accepted, it accepts, with the same value."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters import jsonfast

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(_json)
def test_the_value_is_the_stdlibs(value: object) -> None:
    # ensure_ascii: a lone surrogate in the text arrives escaped, as an upstream sends it.
    text = json.dumps(value)
    assert jsonfast.loads(text) == json.loads(text)


def test_what_orjson_refuses_falls_back_to_the_stdlib() -> None:
    assert jsonfast.loads('{"delta": "\\ud83d"}') == {"delta": "\ud83d"}
    assert math.isnan(jsonfast.loads('{"x": NaN}')["x"])
    assert jsonfast.loads("[Infinity]") == [math.inf]


def test_not_json_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        jsonfast.loads("{not json")
