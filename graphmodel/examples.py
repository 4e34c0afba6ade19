"""Small bundled example networks for docs, doctests and tests.

``golden``: 14 facilities across every stage in five countries, with a recycling loop
(magnet_jp -> motor_de -> oem_auto -> rec_jp -> magnet_jp), two candidate links, a
planned facility, owners with a majority chain (JP Metals is 60% held by CN Mining, so it
is controlled from CN) and a minority stake (CN Mining's 40% of CN Magnets is not control).
Figures are invented, chosen so that answers can be computed by hand.
"""
from __future__ import annotations

from pathlib import Path

from .network import Network

EXAMPLES_DIR = Path(__file__).with_name("_examples")


def example_path(name: str = "golden") -> Path:
    """Folder of a bundled example network."""
    path = EXAMPLES_DIR / name
    if not path.is_dir():
        known = ", ".join(sorted(p.name for p in EXAMPLES_DIR.iterdir() if p.is_dir()))
        raise ValueError(f"no example network '{name}' (known: {known})")
    return path


def load_golden() -> Network:
    """The ``golden`` example network (see the module docstring)."""
    return Network.from_path(example_path("golden"))
