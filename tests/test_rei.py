"""The Risk Exposure Index ranking computed in blocks of sinks equals the ranking read off
the whole sinks x facilities loss matrix (``outage_loss_matrix``, the reference)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphmodel import chokepoints
from graphmodel.generate import generate_network
from graphmodel.scenarios import rei


def _reference(net, months=3.0) -> pd.DataFrame:
    loss = rei.outage_loss_matrix(net)
    demand = net.sink_demand.reindex(loss.index).to_numpy(dtype=float)
    matrix = loss.to_numpy()
    hit = matrix > 1e-9
    worst = np.argmax(matrix, axis=0)
    return pd.DataFrame({
        "id": loss.columns.astype(str),
        "lost_volume": demand @ matrix * months / 12.0,
        "sinks_hit": hit.sum(axis=0),
        "worst_sink": np.where(hit.any(axis=0), np.asarray(loss.index.astype(str))[worst], None),
        "worst_loss": matrix.max(axis=0, initial=0.0),
    }).set_index("id")


@pytest.mark.parametrize("share", [0.0, 0.2])
def test_the_blocked_ranking_equals_the_whole_matrix(monkeypatch, share):
    net = generate_network(1500, seed=5, loop_share=share)
    monkeypatch.setattr(chokepoints, "_BLOCK_ENTRIES", 1500 * 7)  # blocks of 7 sinks
    got = rei.risk_exposure_index(net, months=6.0).set_index("id")
    want = _reference(net, months=6.0).loc[got.index]
    np.testing.assert_allclose(got["lost_volume"], want["lost_volume"], rtol=1e-12,
                               atol=1e-12 * want["lost_volume"].abs().max())
    assert got["sinks_hit"].tolist() == want["sinks_hit"].tolist()
    assert got["worst_sink"].tolist() == want["worst_sink"].tolist()
    np.testing.assert_array_equal(got["worst_loss"], want["worst_loss"])
    assert got["rei"].max() == 1.0
