"""Compliance: DFARS sourcing rules, the EU CRMA benchmark and China's export controls, per buyer."""
from __future__ import annotations

import datetime as dt

import streamlit as st

from app_support import analytics, figures
from app_support.data import current_network
from app_support.widgets import chart, dataset_caption, percent, url_selectbox
from graphmodel.compliance import load_rules, rules_table
from graphmodel.errors import TiernError

net = current_network()
st.title("Compliance")
dataset_caption(net)

rules = load_rules(None)
with st.container(border=True):
    c1, c2, c3 = st.columns([2, 1, 1])
    with c1:
        rule_id = url_selectbox("Rule", list(rules), "rule",
                                default="dfars-2027" if "dfars-2027" in rules else None,
                                format_func=lambda r: rules[r].name)
    as_of = c2.date_input("As of", dt.date.today(), key="compliance_as_of",
                          help="Which version of a rule family is in force, and the in-force column.")
    all_sinks = c3.toggle("Apply to every sink", key="compliance_all_sinks",
                          help="Sourcing rules apply to their sectors' sinks by default "
                               "(DFARS: defense).")

rule = rules[rule_id]
info = rules_table({rule_id: rule}, as_of).iloc[0]
st.markdown(f"**{rule.name}** · effective {info['effective']}"
            + (f" until {info['expires']}" if info["expires"] else "")
            + f" · {'in force' if info['in_force'] else 'not in force'} on {as_of:%d %b %Y}"
            + f"  \nScope: {info['scope']}")
try:
    table, fixes = analytics.compliance(net, rule_id, as_of, all_sinks)
except TiernError as error:
    st.error(f"The rule cannot be evaluated on this dataset: {error}")
    st.stop()
if table.empty:
    st.info("No facility in this dataset falls under this rule (try 'Apply to every sink').")
    st.stop()

kind = rule.kind
if kind == "benchmark":
    value, title, threshold = ("max_third_country_share",
                               "Largest single third country's share at any stage", 0.65)
    colour = "worst_country"
    passing = table["passes"].fillna(False).astype(bool)
elif kind == "export_control":
    value, title, threshold = "affected_share", "Share of supply under export control", None
    colour = "country"
    passing = table["affected_share"] <= 1e-9
else:
    value, title, threshold = "compliant_share", "Compliant share of magnet supply", None
    colour = "country"
    passing = table["compliant_share"] >= 1 - 1e-9

m1, m2, m3 = st.columns(3)
m1.metric("Facilities evaluated", f"{len(table):,}")
m2.metric("Pass" if kind != "export_control" else "Unaffected", f"{int(passing.sum())} of {len(table)}")
m3.metric(f"Mean {value.replace('_', ' ')}", percent(table[value].mean()))

# Most affected first: the lowest compliant share (sourcing rules), the largest share under
# export control, the largest single third country (benchmark); ties by name.
table = table.sort_values([value, "name"], ascending=[kind == "sourcing", True], kind="stable")
worst = table.head(25)
labels = [f"{n} ({c})" if isinstance(c, str) and c else str(n)
          for n, c in zip(worst["name"], worst["country"])]
chart(figures.share_bars_figure(
    worst.assign(colour=worst[colour].fillna("unknown"), label=labels),
    "label", value, "colour", x_title=f"{title} (%)", title=title, threshold=threshold,
    legend_title="Largest third country" if kind == "benchmark" else "Country (location)"))
st.caption(f"The {len(worst)} most affected of {len(table)} buyers, most affected first"
           + (" (all of them)." if len(worst) == len(table) else "; the table below has all.")
           + (" A bar's label never rounds onto the rule's limit: 99.7% fails a 100% rule."
              if kind == "sourcing" else ""))

pct = st.column_config.NumberColumn(format="percent")
st.dataframe(table, hide_index=True, width="stretch", column_config={
    "compliant_share": pct, "untraced_share": pct, "exempt_share": pct, "affected_share": pct,
    "direct_share": pct, "max_third_country_share": pct})
if fixes is not None and len(fixes):
    st.subheader("What would have to change")
    st.markdown("For each non-compliant buyer: the upstream facility blocking the most supply, "
                "the customer it ships to, and compliant alternatives (with their link status "
                "and qualification lead time).")
    st.dataframe(fixes, hide_index=True, width="stretch", column_config={
        "blocking_share": pct, "gain": pct, "alternative_compliant_share": pct})
if rule.sources:
    with st.expander("Sources"):
        for source in rule.sources:
            st.markdown(f"- {source.title or ''} {source.url or ''}")
