"""The app launcher (``make app``): every page is computed once before the server listens."""
from __future__ import annotations

import pytest

pytest.importorskip("streamlit")   # the app's own dependency, declared in pyproject.toml

from streamlit.testing.v1 import AppTest  # noqa: E402

from app_support import data, serve  # noqa: E402


def test_every_page_of_the_router_is_warmed():
    names = {p.stem for p in serve.pages()}
    assert names == {"overview", "explorer", "concentration", "chokepoints", "scenarios",
                     "compliance", "alerts", "data"}


def test_warm_up_runs_every_page_on_the_bundled_data_without_errors():
    seen = []
    warmed = serve.warm(progress=lambda done, total, w: seen.append((done, total, w.page)))
    assert [w.page for w in warmed] == [p.stem for p in serve.pages()]
    assert {w.page: w.errors for w in warmed} == {w.page: [] for w in warmed}
    assert seen == [(i + 1, len(warmed), w.page) for i, w in enumerate(warmed)]


def test_after_the_warm_up_a_page_is_served_from_the_process_caches(monkeypatch):
    serve.warm([serve.PAGES / "overview.py"])

    def no_reading(*args, **kwargs):
        raise AssertionError("the network was read again after the warm-up")

    # A new session (a new browser) after the warm-up: the network comes from the cache.
    monkeypatch.setattr(data, "load_network", no_reading)
    app = AppTest.from_file(str(serve.APP), default_timeout=120)
    app.switch_page("app_pages/overview.py")
    app.run()
    assert not app.exception
    assert app.title[0].value == "Rare-earth magnet supply chain: overview"


def test_a_page_that_fails_to_warm_is_reported_not_raised(tmp_path):
    missing = serve.PAGES / "no_such_page.py"
    (warmed,) = serve.warm([missing])
    assert warmed.page == "no_such_page"
    assert warmed.errors, "a page that cannot run must be reported"


@pytest.mark.parametrize("argv, env, warms", [
    (["--server.port", "8599"], {}, True),
    (["--no-warm", "--server.port", "8599"], {}, False),
    (["--server.port", "8599"], {"TIERN_APP_WARM": "0"}, False),
])
def test_launcher_warms_unless_told_not_to_and_passes_streamlit_options_on(
        monkeypatch, argv, env, warms):
    from streamlit import config
    from streamlit.web import cli

    calls = {}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(serve, "warm", lambda **kw: calls.setdefault("warm", []) or [])
    monkeypatch.setattr(cli.main_run, "invoke", lambda ctx: calls.setdefault("run", ctx.params))
    try:
        serve.main(argv)
        assert ("warm" in calls) is warms
        assert calls["run"]["target"] == str(serve.APP)
        assert config.get_option("server.port") == 8599
    finally:
        config.get_config_options(force_reparse=True)   # back to the defaults for other tests
