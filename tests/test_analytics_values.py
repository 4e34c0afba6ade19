"""The analytics' numbers on the bundled dataset and the golden network equal the pinned
values of ``tests/data/analytics/`` (written by :mod:`tests.dump_analytics_values` before
the solver was consolidated) to 1e-12: absolutely for shares, relative to the column's
largest magnitude for volumes (REI's lost volume is in tonnes, where 1e-12 t is below the
rounding of a sum of thousands)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from .conftest import DATA_DIR
from .dump_analytics_values import NETWORKS, analytics_values

TOLERANCE = 1e-12


@pytest.mark.parametrize("stem", sorted(NETWORKS))
def test_analytics_equal_the_pinned_values(stem):
    pinned = json.loads((DATA_DIR / "analytics" / f"{stem}.json").read_text())
    current = analytics_values(NETWORKS[stem]())
    assert current.keys() == pinned.keys()
    for name, values in pinned.items():
        assert current[name]["ids"] == values["ids"], name
        for column, expected in values.items():
            if column == "ids":
                continue
            got = np.array(current[name][column], dtype=float)
            want = np.array(expected, dtype=float)  # None (NaN) stays NaN
            scale = max(1.0, float(np.nanmax(np.abs(want), initial=0.0)))
            np.testing.assert_allclose(got, want, rtol=0, atol=TOLERANCE * scale, equal_nan=True,
                                       err_msg=f"{stem}: {name}.{column}")
