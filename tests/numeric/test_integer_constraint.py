"""calckit._validate.Integer: ints of any integral kind at or above ``low``,
never bools, answered with a plain bool."""

import numpy as np
import pytest
import sympy as sp

from calckit._validate import Integer, positive_int
from calckit.errors import InvalidParameterError


@pytest.mark.parametrize("value", [1, 7, np.int64(3), np.uint8(1), sp.Integer(5)])
def test_integral_values_at_or_above_low_pass(value):
    ok = Integer(1).is_satisfied_by(value)
    assert ok is True


@pytest.mark.parametrize("value", [0, -2, np.int32(0), sp.Integer(-1), True,
                                   np.bool_(True), 1.0, "1", None, 2.5])
def test_everything_else_fails(value):
    ok = Integer(1).is_satisfied_by(value)
    assert ok is False


def test_none_only_when_allowed():
    assert Integer(1, none_ok=True).is_satisfied_by(None) is True
    assert positive_int(np.int64(4), "n", "f") == 4
    with pytest.raises(InvalidParameterError, match="'n' parameter of f"):
        positive_int(np.int64(0), "n", "f")
