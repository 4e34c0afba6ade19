"""Launch the app with every page's default view computed before the server listens.

    python -m app_support.serve [--no-warm] [streamlit run options...]

``make app`` runs this. A plain ``streamlit run app.py`` serves at once, but the first visit
to each page then pays for importing that page's code and computing its analytics: 2-5 s
per page on the bundled data on 2 cores, against about 1.5 s once they are done. Here each
page of ``app_pages/`` is run once, in this process, on the dataset the app opens with (the
bundled one, or ``$TIERN_DATA``), through Streamlit's own headless runner
(:class:`streamlit.testing.v1.AppTest`), before the server starts. The server then runs in
the same process, so the imported modules and the process-wide caches (``st.cache_data``,
``st.cache_resource``: the loaded network, its analytics and figures) are already filled
when the first browser arrives. Only the pages' default views are warmed: a widget change
still computes what it needs, once per process.

The warm-up runs before the server listens, never beside it: the headless runner installs
a stand-in runtime while a page runs, which a live server must not see. A page that fails
to warm is reported on stderr and served all the same (it shows its error to the user as
it would have). ``--no-warm`` (or ``TIERN_APP_WARM=0``) skips the warm-up; every other
argument goes to ``streamlit run`` unchanged.
"""
from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "app.py"
PAGES = REPO / "app_pages"
#: Seconds one page may take to warm before it is given up (and served cold).
PAGE_TIMEOUT = 120.0


@dataclass
class Warmed:
    """One page's warm-up: its script, the seconds it took and the errors it raised."""

    page: str
    seconds: float
    errors: list[str] = field(default_factory=list)


def pages() -> list[Path]:
    """The page scripts the app routes to (``app_pages/*.py``), in name order."""
    return sorted(p for p in PAGES.glob("*.py") if not p.name.startswith("_"))


def warm(scripts: list[Path] | None = None, timeout: float = PAGE_TIMEOUT,
         progress=None) -> list[Warmed]:
    """Run each page once through ``app.py``'s router, headless, in this process.

    ``progress(done, total, warmed)`` is called after each page. Returns one
    :class:`Warmed` per page; ``errors`` holds the messages of the exceptions the page
    showed (a page that exceeds ``timeout`` seconds is reported the same way).
    """
    from streamlit.testing.v1 import AppTest

    scripts = pages() if scripts is None else scripts
    results = []
    # The headless runner makes Streamlit log "missing ScriptRunContext" after every page:
    # noise here, where no browser session exists yet.
    quiet = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    no_context = _DropMissingContext()
    quiet.addFilter(no_context)
    try:
        for script in scripts:
            results.append(_warm_page(AppTest, script, timeout))
            if progress is not None:
                progress(len(results), len(scripts), results[-1])
    finally:
        quiet.removeFilter(no_context)
    return results


class _DropMissingContext(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "missing ScriptRunContext" not in record.getMessage()


def _warm_page(AppTest, script: Path, timeout: float) -> Warmed:  # noqa: N803 (a class)
    start = time.perf_counter()
    errors: list[str] = []
    try:
        app = AppTest.from_file(str(APP), default_timeout=timeout)
        app.switch_page(str(script.relative_to(REPO)))
        app.run()
        errors = [e.message for e in app.exception]
    except Exception as error:  # noqa: BLE001 - a page that fails is served cold, not fatal
        errors = [f"{type(error).__name__}: {error}"]
    return Warmed(script.stem, time.perf_counter() - start, errors)


def _print_progress(done: int, total: int, warmed: Warmed) -> None:
    status = "ok" if not warmed.errors else "failed: " + "; ".join(warmed.errors)[:300]
    print(f"  [{done}/{total}] {warmed.page}: {warmed.seconds:.1f} s, {status}",
          file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    from streamlit import config
    from streamlit.web import bootstrap, cli

    argv = list(sys.argv[1:] if argv is None else argv)
    skip = "--no-warm" in argv or os.environ.get("TIERN_APP_WARM", "1") == "0"
    argv = [a for a in argv if a != "--no-warm"]
    # Streamlit's own parser reads the options, and the configuration is loaded with them
    # before the warm-up: loading it again with other server options (as a warm-up on the
    # defaults then ``streamlit run`` would) makes Streamlit warn "restart streamlit".
    context = cli.main_run.make_context("streamlit run", [str(APP), *argv])
    flags = {k: v for k, v in context.params.items() if k not in ("target", "args")}
    config._main_script_path = str(APP)
    bootstrap.load_config_options(flag_options=flags)
    if not skip:
        print("Computing every page's default view before serving "
              "(--no-warm or TIERN_APP_WARM=0 to skip)...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        warmed = warm(progress=_print_progress)
        failed = [w.page for w in warmed if w.errors]
        print(f"Warm-up done in {time.perf_counter() - start:.1f} s"
              + (f"; not warmed: {', '.join(failed)}" if failed else ""),
              file=sys.stderr, flush=True)
    with context:
        cli.main_run.invoke(context)


if __name__ == "__main__":
    main()
