"""Numbers as text for the app's metrics and chart labels (pure functions, no ``st.*``)."""
from __future__ import annotations

import math

__all__ = ["share_text"]


def share_text(value: float | None, digits: int = 0, boundaries: tuple[float, ...] = (0.0, 1.0)) -> str:
    """A share (0..1) as a percentage that never rounds onto a boundary it is not on.

    A value strictly below a boundary ``b`` is never shown as ``b`` (nor one above it): a
    DFARS buyer at 0.99724 compliant fails the 100% rule, so it reads ``99.7%``, not ``100%``;
    an export-control buyer with 0.3% of its supply affected reads ``0.3%``, not ``0%``. More
    decimals are added (up to three) until the text leaves the boundary, then the last digit is
    rounded towards the value's side. ``None`` or NaN reads ``n/a``.

    >>> share_text(0.99724), share_text(0.7046), share_text(0.003), share_text(1.0)
    ('99.7%', '70%', '0.3%', '100%')
    >>> share_text(0.6503, boundaries=(0.0, 0.65, 1.0))
    '65.03%'
    """
    if value is None or value != value:
        return "n/a"
    percent = value * 100
    for places in range(digits, 4):
        scale = 10 ** places
        text = f"{percent:.{places}f}"
        onto = [b for b in boundaries if b != value and f"{b * 100:.{places}f}" == text]
        if not onto:
            return f"{text}%"
    # still on a boundary with three decimals: round away from it, towards the value
    bound = onto[0]
    towards = math.floor if value < bound else math.ceil
    return f"{towards(percent * scale) / scale:.{places}f}%"
