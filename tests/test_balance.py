"""Element mass balance (graphmodel.scenarios.balance): hand-computed cases and the
property that every facility balances every month under random shocks."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmodel.build import network_from_records
from graphmodel.errors import TiernError
from graphmodel.scenarios import parse_scenario
from graphmodel.scenarios.balance import element_balance

from .strategies import recipe_network_records
from .test_recipes import dy_export_ban, magnet_chain

TERMS = ["in_t", "out_t", "stock_change_t", "used_t", "made_t", "unshipped_t", "restocked_t",
         "excess_t"]


def rows(balance, facility, element):
    table = balance.table
    return table[(table["facility"] == facility) & (table["element"] == element)] \
        .set_index("month")


def test_magnet_maker_dy_by_hand():
    # Dy metal: 4 t/yr -> 1/3 t/month, all Dy (c = 1). 30 days of stock = 1/3 t.
    # The ban cuts Dy from month 0 for 12 months (no rerouting, refill 0.1/month after).
    balance = element_balance(magnet_chain(), dy_export_ban(horizon=14))
    dy = rows(balance, "mag", "Dy")
    third = 4 / 12
    # month 0: nothing arrives, the stock (1/3 t) is used: stock change -1/3
    assert dy.loc[0, "in_t"] == pytest.approx(0.0)
    assert dy.loc[0, "used_t"] == pytest.approx(third)
    assert dy.loc[0, "stock_change_t"] == pytest.approx(-third)
    # months 1-11: no Dy, no production, stock 0
    assert dy.loc[5, ["in_t", "used_t", "stock_t"]].tolist() == pytest.approx([0, 0, 0])
    # month 12: Dy arrives again (1/3 t), is used, and the stock is restocked by
    # refill_rate x baseline = 0.1 x 1/3 t from outside the modelled flows
    assert dy.loc[12, "in_t"] == pytest.approx(third)
    assert dy.loc[12, "used_t"] == pytest.approx(third)
    assert dy.loc[12, "restocked_t"] == pytest.approx(0.1 * third)
    assert dy.loc[12, "stock_t"] == pytest.approx(0.1 * third)
    # the magnet holds 1% Dy: made 100/12 t of magnet in month 0 -> 1/12 t Dy made, the
    # rest of the 1/3 t used is the transformation (the recipe uses 4% Dy metal)
    assert dy.loc[0, "made_t"] == pytest.approx(100 / 12 * 0.01)
    assert balance.table["balance_t"].abs().max() < 1e-12


def test_ndpr_piles_up_as_excess_when_dy_stops_production():
    # NdPr keeps arriving (31/12 t/month) while the maker cannot use it (no Dy): its stock
    # is full (30 days), so what arrives is excess, month after month.
    balance = element_balance(magnet_chain(), dy_export_ban(horizon=14))
    nd = rows(balance, "mag", "Nd")
    monthly_nd = 31 / 12 * 0.75
    assert nd.loc[5, "in_t"] == pytest.approx(monthly_nd)
    assert nd.loc[5, "used_t"] == pytest.approx(0.0)
    assert nd.loc[5, "excess_t"] == pytest.approx(monthly_nd)
    assert nd.loc[5, "stock_t"] == pytest.approx(monthly_nd)   # 30 days of NdPr metal


def test_unknown_names_are_errors():
    with pytest.raises(TiernError, match="unknown element"):
        element_balance(magnet_chain(), dy_export_ban(), elements=["Xx"])
    with pytest.raises(TiernError, match="unknown facility"):
        element_balance(magnet_chain(), dy_export_ban(), facilities=["nope"])


PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@PROPERTY
@given(records=recipe_network_records(), data=st.data())
def test_every_facility_balances_every_month(records, data):
    """in + restocked = out + unshipped + stock change + excess + (used - made), for every
    element, facility and month, with stocks and rerouting on under random shocks."""
    net = network_from_records(**records)
    ids = list(net.facilities.index)
    shocks = []
    for _ in range(data.draw(st.integers(1, 3))):
        kind = data.draw(st.sampled_from(["facility", "export"]))
        shock = {"capacity_loss": data.draw(st.sampled_from([0.3, 0.7, 1.0])),
                 "start_month": data.draw(st.integers(0, 3)),
                 "duration_months": data.draw(st.integers(1, 5))}
        if kind == "facility":
            shock["select"] = {"id": data.draw(st.sampled_from(ids))}
        else:
            shock["type"] = "export_control"
            shock["select"] = {"country": data.draw(st.sampled_from(["CN", "AU", "JP", "MY"]))}
        shocks.append(shock)
    scenario = parse_scenario({"name": "p", "horizon_months": 9, "shocks": shocks,
                               "responses": {"reroute": True, "inventory": True,
                                             "refill_rate": data.draw(st.sampled_from([0, 0.1, 0.5]))}})
    table = element_balance(net, scenario).table
    if not len(table):
        return
    scale = 1.0 + table[TERMS].abs().max(axis=1)
    assert (table["balance_t"].abs() <= 1e-9 * scale).all(), \
        table.loc[(table["balance_t"].abs() > 1e-9 * scale)].head().to_string()
    # stocks are physical: never negative
    assert (table["stock_t"] >= -1e-9).all()


def test_rerouted_extra_output_is_made_from_the_suppliers_stock():
    # sep_b holds 60 days of feed (2 t/month of concentrate, so 4 t) and makes 1 t of oxide
    # from 2 t of feed. sep_a stops; sep_b ships oem 1 t/month extra from its stock: in
    # month 0 it receives its usual 2 t, uses 2 t for its own output and 2 t from stock for
    # the extra tonne.
    from .test_scenarios import SEP_A_OUT, scenario, two_separators
    net = two_separators(0, sep_b_days=60)
    spec = scenario(SEP_A_OUT, horizon=8, responses={"refill_rate": 0})
    balance = element_balance(net, spec)
    nd_feed, nd_oxide = 0.1534, 0.6430          # materials.csv mass fractions of Nd
    nd = rows(balance, "sep_b", "Nd")
    assert nd.loc[0, "in_t"] == pytest.approx(2 * nd_feed)
    assert nd.loc[0, "used_t"] == pytest.approx(4 * nd_feed)
    assert nd.loc[0, "stock_change_t"] == pytest.approx(-2 * nd_feed)
    assert nd.loc[0, "made_t"] == pytest.approx(2 * nd_oxide)
    assert nd.loc[0, "out_t"] == pytest.approx(2 * nd_oxide)
    assert nd.loc[2, "stock_t"] == pytest.approx(0.0)      # drawn in months 0 and 1
    assert nd.loc[2, "made_t"] == pytest.approx(1 * nd_oxide)
    assert balance.table["balance_t"].abs().max() < 1e-12


def test_rerouted_extra_output_is_made_from_extra_feed_bought_upstream():
    # no stock at sep_b; mine_b has 12 t/yr spare = 1 t/month, which makes 0.5 t of oxide
    from .test_scenarios import SEP_A_OUT, scenario, two_separators
    balance = element_balance(two_separators(12), scenario(SEP_A_OUT, horizon=8))
    nd_feed, nd_oxide = 0.1534, 0.6430
    nd = rows(balance, "sep_b", "Nd")
    assert nd.loc[0, "in_t"] == pytest.approx(3 * nd_feed)
    assert nd.loc[0, "used_t"] == pytest.approx(3 * nd_feed)
    assert nd.loc[0, "stock_t"] == pytest.approx(0.0)
    assert nd.loc[0, "out_t"] == pytest.approx(1.5 * nd_oxide)
    mine = rows(balance, "mine_b", "Nd")
    assert mine.loc[0, "out_t"] == pytest.approx(3 * nd_feed)
    assert mine.loc[0, "made_t"] == pytest.approx(3 * nd_feed)   # extracted: used - made < 0
    assert balance.table["balance_t"].abs().max() < 1e-12


def test_cli_balance_view_of_the_bundled_2025_controls():
    import json

    from .cli_runner import tiern

    out = tiern("scenario", "china-2025-export-controls", "--by", "balance", "--element", "Dy",
                "--facility", "de-bosch-emotors", "-f", "json").stdout
    table = json.loads(out)
    assert {row["element"] for row in table} == {"Dy"}
    assert {row["facility"] for row in table} == {"de-bosch-emotors"}
    assert [row["month"] for row in table] == list(range(len(table)))
    assert all(abs(row["balance_t"]) < 1e-9 for row in table)
    # the motor maker's magnet stock is drawn while Chinese magnets are cut
    assert table[0]["stock_change_t"] < 0


def test_cli_balance_filters_need_the_balance_view():
    from .cli_runner import tiern

    result = tiern("scenario", "china-2025-export-controls", "--element", "Dy", check=False)
    assert result.returncode != 0
    assert "--by balance" in result.stderr
