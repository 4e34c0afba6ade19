"""tiern: graph-based Tier-N supply-chain risk modelling.

The model: :class:`Network` (validated pandas tables plus graph and matrix views), read
with :func:`load_network` from the interchange format (a folder of CSV files or one
workbook). Analytics are pure functions of a network returning DataFrames.
"""
from .errors import ConvergenceError, NodeNotFound, Problem, TiernError, ValidationError
from .schema import ALL_STAGES, STAGES

__version__ = "0.1.0"


def __getattr__(name: str):
    # the network (pandas, networkx, scipy) loads on first use, so the command line starts
    # fast (``tiern --help`` needs none of it)
    if name in ("Network", "load_network"):
        from . import network

        return getattr(network, name)
    raise AttributeError(f"module 'graphmodel' has no attribute {name!r}")

__all__ = [
    "Network", "load_network", "STAGES", "ALL_STAGES", "TiernError", "ValidationError",
    "Problem", "NodeNotFound", "ConvergenceError", "__version__",
]
