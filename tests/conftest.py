"""Shared fixtures: the golden example network and helpers to break a copy of it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graphmodel.examples import example_path, load_golden

TESTS_DIR = Path(__file__).parent
DATA_DIR = TESTS_DIR / "data"


@pytest.fixture(autouse=True, scope="session")
def _network_cache(tmp_path_factory):
    """Command lines run by the tests cache validated networks (graphmodel.netcache) in a
    temporary directory, never in the user's home."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TIERN_CACHE_DIR", str(tmp_path_factory.mktemp("tiern-cache")))
        yield


@pytest.fixture
def golden():
    return load_golden()


@pytest.fixture
def golden_dir(tmp_path) -> Path:
    """A writable copy of the golden example folder."""
    target = tmp_path / "golden"
    shutil.copytree(example_path("golden"), target)
    return target
