"""Optimal response (Simchi-Levi TTS and least loss as LPs): hand-computed tiny networks,
and the simulation's greedy response never beating it where both make the same assumptions."""
from __future__ import annotations

import json

import numpy as np
import pytest

from graphmodel.build import network_from_records
from graphmodel.errors import TiernError
from graphmodel.scenarios import parse_scenario, run_scenario
from graphmodel.scenarios.optimal import TTS_TOLERANCE, run_optimal
from tests.cli_runner import tiern


def scenario(shocks, horizon=8, **extra):
    return parse_scenario({"name": "test", "horizon_months": horizon, "shocks": shocks, **extra})


def facility(fid, stage, country="AU", **extra):
    return {"id": fid, "name": fid, "stage": stage, "country": country, **extra}


def row(result, sink):
    return result.sinks.set_index("id").loc[sink]


def magnets(stock_days, spare=0.0, status="qualified", qualification=None, other_days=None):
    """maker_a (12 t/yr) supplies oem; maker_b sells 12 t/yr to other and has ``spare`` t/yr
    of spare capacity, offered to oem over a ``status`` link."""
    facilities = [facility("maker_a", "magnet", capacity=12),
                  facility("maker_b", "magnet", capacity=12 + spare),
                  facility("oem", "oem", "DE", inventory_days=stock_days),
                  facility("other", "oem", "JP", **({} if other_days is None
                                                     else {"inventory_days": other_days}))]
    links = [{"supplier": "maker_a", "customer": "oem", "material": "NdFeB magnet", "volume": 12},
             {"supplier": "maker_b", "customer": "other", "material": "NdFeB magnet", "volume": 12},
             {"supplier": "maker_b", "customer": "oem", "material": "NdFeB magnet", "volume": 0,
              "status": status, "qualification_months": qualification}]
    return network_from_records(facilities, links)


OUT_A = [{"select": {"id": "maker_a"}, "duration_months": 6}]


def test_stock_alone_lasts_its_days():
    # oem uses 1 t/month and holds 30 days = 1 month; maker_a out, no alternative:
    # TTS = 1 month; least loss = months 1..5 lost = 5 t (demand 12/yr -> 5 units)
    result = run_optimal(magnets(30), scenario(OUT_A))
    oem = row(result, "oem")
    assert oem["tts_months"] == pytest.approx(1.0, abs=TTS_TOLERANCE)
    assert oem["lost_volume"] == pytest.approx(5.0)
    assert result.months["oem"].tolist() == pytest.approx([1, 0, 0, 0, 0, 0, 1, 1])
    assert row(result, "other")["tts_months"] == oem["tts_months"]      # network-wide
    assert (result.sinks["response"] == "optimal").all()


def test_spare_alternative_stretches_stock_continuously():
    # maker_b has 4.8 t/yr = 0.4 t/month spare on a qualified link: oem's deficit is
    # 1 - 0.4 = 0.6 t/month against 1 t of stock -> TTS = 1 / 0.6 = 5/3 months
    # (Simchi-Levi: d t <= c t + s). Least loss over the 6 months: 6 x 0.6 - 1 = 2.6 t.
    net = magnets(30, spare=4.8)
    spec = scenario(OUT_A)
    result = run_optimal(net, spec)
    assert row(result, "oem")["tts_months"] == pytest.approx(5 / 3, abs=TTS_TOLERANCE)
    assert result.sinks["lost_volume"].sum() == pytest.approx(2.6)
    assert row(result, "other")["lost_volume"] == pytest.approx(0.0)    # ties keep today's links
    link = result.links.set_index(["supplier", "customer"]).loc[("maker_b", "oem")]
    assert link["rerouted_volume"] == pytest.approx(6 * 0.4)
    # the simulation reroutes the same 0.4 and draws the stock, but counts whole months:
    # month 0 covered, month 1 at 0.4 + 0.4 = 0.8 -> first short month 1
    simulated = run_scenario(net, spec)
    assert row(simulated, "oem")["tts_months"] == 1
    assert row(simulated, "oem")["lost_volume"] == pytest.approx(2.6)


def test_candidate_link_opens_after_its_lead_time():
    # 45 days = 1.5 months of stock; the only alternative is a candidate link qualified 2
    # months after the shock starts, with ample spare: stock covers [0, 1.5), month 1's
    # second half is lost, from month 2 maker_b covers all. TTS 1.5, loss 0.5 t.
    net = magnets(45, spare=24, status="candidate", qualification=2)
    result = run_optimal(net, scenario(OUT_A))
    oem = row(result, "oem")
    assert oem["tts_months"] == pytest.approx(1.5, abs=TTS_TOLERANCE)
    assert oem["lost_volume"] == pytest.approx(0.5)
    assert oem["ttr_months"] == 2
    assert result.months["oem"].tolist() == pytest.approx([1, 0.5, 1, 1, 1, 1, 1, 1])


def test_foresight_gives_scarce_spare_to_the_sink_without_stock():
    # maker_a supplies both sinks (1 t/month each); maker_b (origin, 12 t/yr spare, both
    # links qualified) can replace one of them. oem has no stock, other 60 days = 2 t.
    # Best plan: spare to oem, other lives on its stock for 2 months -> TTS = 2.0.
    facilities = [facility("maker_a", "magnet", capacity=24), facility("maker_b", "magnet", capacity=12),
                  facility("oem", "oem", "DE"), facility("other", "oem", "JP", inventory_days=60)]
    links = [{"supplier": "maker_a", "customer": "oem", "material": "NdFeB magnet", "volume": 12},
             {"supplier": "maker_a", "customer": "other", "material": "NdFeB magnet", "volume": 12},
             {"supplier": "maker_b", "customer": "oem", "material": "NdFeB magnet", "volume": 0},
             {"supplier": "maker_b", "customer": "other", "material": "NdFeB magnet", "volume": 0}]
    net = network_from_records(facilities, links)
    spec = scenario(OUT_A)
    result = run_optimal(net, spec)
    assert row(result, "oem")["tts_months"] == pytest.approx(2.0, abs=TTS_TOLERANCE)
    # least loss: 6 months x 2 t needed, 6 x 1 t spare + 2 t stock -> 4 t lost
    assert result.sinks["lost_volume"].sum() == pytest.approx(4.0)
    simulated = run_scenario(net, spec).sinks["tts_months"].min()
    assert simulated <= 2.0


def test_extra_output_needs_inputs_upstream():
    # maker_b has spare magnet capacity but its only alloy supplier has none, and maker_b
    # holds 30 days of alloy (1 month of its 1 t/month baseline: 1 t of magnet supported).
    # Both sinks need 2 t/month; 1 t/month of alloy arrives plus 1 t in stock: month 0 is
    # covered, then 1 of 2 t -> TTS = 1 month, loss = 6 x 2 - (6 + 1) = 5 t.
    facilities = [facility("alloy", "alloy", capacity=12),
                  facility("maker_a", "magnet", capacity=12),
                  facility("maker_b", "magnet", capacity=48, inventory_days=30),
                  facility("oem", "oem", "DE"), facility("other", "oem", "JP")]
    links = [{"supplier": "alloy", "customer": "maker_b", "material": "NdFeB alloy", "volume": 12},
             {"supplier": "maker_a", "customer": "oem", "material": "NdFeB magnet", "volume": 12},
             {"supplier": "maker_b", "customer": "other", "material": "NdFeB magnet", "volume": 12},
             {"supplier": "maker_b", "customer": "oem", "material": "NdFeB magnet", "volume": 0}]
    net = network_from_records(facilities, links)
    result = run_optimal(net, scenario(OUT_A))
    assert row(result, "oem")["tts_months"] == pytest.approx(1.0, abs=TTS_TOLERANCE)
    assert result.sinks["lost_volume"].sum() == pytest.approx(5.0)
    # the simulation's rerouting is mass-balanced too: maker_b's extra output draws its
    # stock in month 0 and finds no spare alloy after, so oem is short from month 1; it
    # then gets 0.1 t/month from the stock's refill (refill_rate 0.1 of 1 t/month, a
    # supplier surge the simulation does not charge upstream): loss 5 x 0.9 = 4.5 t
    simulated = run_scenario(net, scenario(OUT_A))
    assert simulated.months["oem"].tolist() == pytest.approx([1] + [0.1] * 5 + [1, 1])
    assert row(simulated, "oem")["tts_months"] == 1


def test_no_shortfall_gives_null_tts_and_no_loss():
    result = run_optimal(magnets(30, spare=24), scenario(OUT_A))
    assert result.sinks["tts_months"].isna().all()
    assert result.sinks["lost_volume"].sum() == pytest.approx(0.0)


def test_switches_turn_stock_and_rerouting_off():
    net, spec = magnets(30, spare=4.8), scenario(OUT_A)
    assert row(run_optimal(net, spec, inventory=False), "oem")["tts_months"] == 0.0
    assert row(run_optimal(net, spec, reroute=False), "oem")["tts_months"] == \
        pytest.approx(1.0, abs=TTS_TOLERANCE)


def test_sink_scoped_shocks_are_refused():
    spec = scenario([{"select": {"id": "maker_a"}, "sinks": {"id": "oem"}}])
    with pytest.raises(TiernError, match="sink-scoped"):
        run_optimal(magnets(30), spec)


@pytest.mark.parametrize("preset", ["china-2025-export-controls", "china-2025-export-controls-calibrated",
                                    "lynas-kalgoorlie-feed-outage", "bayan-obo-outage"])
def test_bundled_optimal_survives_at_least_as_long_as_the_simulation(preset):
    """The simulation's plan serves every sink until its first short month; the LP's
    network-wide TTS is at least that (property, not pinned numbers: the data may change),
    and its least loss (in tonnes of sink input) is at most the simulation's."""
    from graphmodel.network import load_network
    from graphmodel.scenarios import load_scenario
    from graphmodel.scenarios.presets import resolve

    net = load_network(None)
    spec = load_scenario(resolve(preset))
    optimal, simulated = run_optimal(net, spec), run_scenario(net, spec)
    tts = optimal.sinks["tts_months"].iloc[0]
    first_short = simulated.sinks["tts_months"].min()
    if not np.isnan(tts):        # the LP falls short: so does the simulation, no earlier
        assert not np.isnan(first_short) and tts >= first_short - TTS_TOLERANCE
    weight = net.inbound_volume.reindex(net.sinks).to_numpy() / 12.0
    lost = {name: ((1 - r.months[list(net.sinks)].to_numpy()) * weight).sum()
            for name, r in (("optimal", optimal), ("simulated", simulated))}
    assert lost["optimal"] <= lost["simulated"] + 1e-6


def test_cli_response_optimal():
    result = tiern("scenario", "china-2025-export-controls-calibrated", "--response", "optimal",
                   "-f", "json")
    rows = json.loads(result.stdout)
    assert {r["response"] for r in rows} == {"optimal"}
    assert len({r["tts_months"] for r in rows}) == 1
    assert "response: optimal" in result.stderr
    assert "response: simulated" in tiern("scenario", "bayan-obo-outage", "-f", "csv").stderr
    bad = tiern("scenario", "china-2025-export-controls", "--response", "best", check=False)
    assert bad.returncode != 0 and "--response" in bad.stderr


def random_three_tier(seed):
    """mines -> magnet makers -> OEMs, pooled, some zero-volume qualified links, random
    capacities above baseline and random stocks."""
    rng = np.random.default_rng(seed)
    facilities, links = {}, []
    mines, makers, oems = ["m1", "m2"], ["k1", "k2", "k3"], ["o1", "o2", "o3"]
    for customers, suppliers, material in ((makers, mines, "NdPr oxide"),
                                           (oems, makers, "NdFeB magnet")):
        for c in customers:
            chosen = rng.choice(suppliers, size=2, replace=False)
            for i, s in enumerate(chosen):
                volume = float(rng.integers(6, 30)) if i == 0 else float(rng.choice([0, 6]))
                links.append({"supplier": str(s), "customer": c, "material": material,
                              "volume": volume})
    for v in mines + makers + oems:
        facilities[v] = {"inventory_days": float(rng.choice([0, 15, 30, 60]))}
    out = {v: sum(l["volume"] for l in links if l["supplier"] == v) for v in facilities}
    for v in mines + makers:
        facilities[v]["capacity"] = out[v] * float(rng.uniform(1.0, 1.6))
    return facilities, links


@pytest.mark.parametrize("seed", range(8))
def test_tts_equals_simchi_levi_static_lp_for_a_lasting_outage(seed):
    """With an outage from month 0 past the horizon, constant rates are optimal and the
    monthly LP's TTS equals the static TTS LP (tests/reference_tts.py) of the same network."""
    from tests.reference_tts import static_tts

    facilities, links = random_three_tier(seed)
    down = "k1" if seed % 2 else "m1"
    records = [facility(v, {"m": "mine", "k": "magnet", "o": "oem"}[v[0]], **attrs)
               for v, attrs in facilities.items()]
    net = network_from_records(records, links)
    horizon = 24
    result = run_optimal(net, scenario([{"select": {"id": down}}], horizon=horizon))
    reference = static_tts(facilities, links, {down})
    tts = result.sinks["tts_months"].iloc[0]
    if reference >= horizon:
        assert np.isnan(tts)
    else:
        assert tts == pytest.approx(reference, abs=2 * TTS_TOLERANCE)


def test_pooled_feed_is_not_replaced_by_another_material():
    # sep (pooled) takes 6 t/yr of ionic clay from mine_a and 6 t/yr of bastnaesite from
    # mine_b (24 t/yr capacity, spare 18); mine_a stops. Extra bastnaesite does not replace
    # the ionic clay: sep runs on the 0.5 t/month of bastnaesite -> oem at 0.5 (as in the
    # simulation), TTS 0, loss 6 x 0.5 = 3 t.
    facilities = [facility("mine_a", "mine", capacity=6), facility("mine_b", "mine", capacity=24),
                  facility("sep", "separator", capacity=48), facility("oem", "oem", "DE")]
    links = [{"supplier": "mine_a", "customer": "sep", "material": "ionic clay", "volume": 6},
             {"supplier": "mine_b", "customer": "sep", "material": "bastnaesite", "volume": 6},
             {"supplier": "sep", "customer": "oem", "material": "NdPr oxide", "volume": 12}]
    net = network_from_records(facilities, links)
    spec = scenario([{"select": {"id": "mine_a"}, "duration_months": 6}])
    result = run_optimal(net, spec)
    assert result.months["oem"].tolist() == pytest.approx([0.5] * 6 + [1, 1])
    assert row(result, "oem")["lost_volume"] == pytest.approx(3.0)
    assert run_scenario(net, spec).months["oem"].tolist() == pytest.approx([0.5] * 6 + [1, 1])


def test_fraction_of_a_month_is_exact():
    # the fraction is one LP in theta, not a bisection: 5/3 months to the solver's precision
    result = run_optimal(magnets(30, spare=4.8), scenario(OUT_A))
    assert row(result, "oem")["tts_months"] == pytest.approx(5 / 3, abs=1e-9)
    assert row(run_optimal(magnets(30), scenario(OUT_A)), "oem")["tts_months"] == 1.0


def test_fraction_after_a_recycler_delivery_falls_back_to_bisection():
    # a recycler's link delivers theta of last month's output (bilinear in theta): the
    # fraction is bisected. oem needs 2 t/month, 40 days = 8/3 t of stock; maker_a out,
    # the recycler keeps 1 t/month: deficit 1 t/month -> TTS 8/3 months
    facilities = [facility("maker_a", "magnet", capacity=12), facility("rec", "recycler"),
                  facility("oem", "oem", "DE", inventory_days=40)]
    links = [{"supplier": "maker_a", "customer": "oem", "material": "NdFeB magnet", "volume": 12},
             {"supplier": "rec", "customer": "oem", "material": "NdFeB magnet", "volume": 12}]
    result = run_optimal(network_from_records(facilities, links), scenario(OUT_A))
    tts = row(result, "oem")["tts_months"]
    assert 8 / 3 - TTS_TOLERANCE <= tts <= 8 / 3
