"""The ``observed:`` and ``calibration:`` blocks of a scenario file (backtests, issue 17).

A preset that stands for a real event says which observed series it is compared with and
how a simulated quantity maps onto each one::

    observed:
      month0: 2025-04                 # the calendar month of scenario month 0
      fit_until: 2025-06              # default cut-off of `tiern calibrate` (held-out split)
      series:
        - series: cn_magnet_exports   # the `series` column of the observed file
          file: magnet_exports_cn.csv # relative paths: data/observed/
          partner: WORLD
          simulated:                  # volume on these links, as a fraction of unshocked
            links_from: {country: CN, stage: magnet, material: NdFeB magnet}
            to_outside: CN            # ... to customers located outside CN
          baseline: {months: [2025-01, 2025-03]}   # observed level = fraction 1
      stoppages:
        file: stoppages_2025.csv
        map:
          - {company: Ford, sinks: {id: us-ford}}
      free:                           # parameters `tiern calibrate` fits, with bounds
        - {shock: 1, field: capacity_loss, bounds: [0, 1]}

The simulated value of a series in month t is ``x_t * B`` where ``x_t`` is the monthly
delivery on the selected links divided by its unshocked value and ``B`` is the mean of
the observed series over the baseline months (see :mod:`graphmodel.backtest`). Every
check that needs the rest of the scenario (shock numbers) or the files is made when the
backtest runs, with the same ``file: field: message`` errors.
"""
from __future__ import annotations

import re
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .fields import Selector, country_codes

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _strict() -> ConfigDict:
    return ConfigDict(extra="forbid", frozen=True)


def _month(value) -> str:
    """Validate a calendar month written ``YYYY-MM`` (YAML may read it as text only)."""
    if not isinstance(value, str) or not _MONTH.match(value):
        raise PydanticCustomError("month", "expected a month written YYYY-MM (in quotes or "
                                           "plain), got '{value}'", {"value": value})
    return value


_PERIOD = re.compile(r"^(\d{4})(-(0[1-9]|1[0-2]))?$")


def _period(value) -> str:
    """A month ``YYYY-MM`` or a year ``YYYY`` (YAML reads a bare year as a number)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _PERIOD.match(value):
        raise PydanticCustomError("period", "expected a month YYYY-MM or a year YYYY, got "
                                            "'{value}'", {"value": value})
    return value


def period_months(period: str, month0: str) -> list[int]:
    """Scenario months a period covers: one for ``YYYY-MM``, twelve for ``YYYY``."""
    if len(period) == 4:
        first = month_index(f"{period}-01", month0)
        return list(range(first, first + 12))
    return [month_index(period, month0)]


def period_end(period: str) -> str:
    """The last month of a period (``YYYY`` -> ``YYYY-12``; a date -> its month)."""
    return f"{period}-12" if len(period) == 4 else period[:7]


def month_index(month: str, month0: str) -> int:
    """Scenario month of a calendar month: ``12 * (y - y0) + (m - m0)``."""
    y, m = (int(part) for part in month[:7].split("-"))
    y0, m0 = (int(part) for part in month0.split("-"))
    return 12 * (y - y0) + (m - m0)


def month_name(index: int, month0: str) -> str:
    """Calendar month (``YYYY-MM``) of scenario month ``index``."""
    y0, m0 = (int(part) for part in month0.split("-"))
    total = y0 * 12 + (m0 - 1) + int(index)
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


class SimulatedQuantity(BaseModel):
    """Links whose monthly delivery is compared with an observed series.

    ``links_from`` selects the suppliers (its ``material`` narrows the links' material),
    ``to`` the customers, ``to_outside`` keeps customers located outside those countries.
    """

    model_config = _strict()

    links_from: Selector
    to: Optional[Selector] = None
    to_outside: Optional[tuple[str, ...]] = None

    @field_validator("to_outside", mode="before")
    @classmethod
    def _countries(cls, value):
        if value is None:
            return None
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, (list, tuple)) or not values:
            raise PydanticCustomError("type", "expected a country code or a list of them")
        return country_codes(values)

    @field_validator("links_from")
    @classmethod
    def _non_empty(cls, value: Selector):
        return value.require_filter()


class Baseline(BaseModel):
    """The observed months (first, last; inclusive) whose mean stands for fraction 1."""

    model_config = _strict()

    months: tuple[str, str]

    @field_validator("months", mode="before")
    @classmethod
    def _range(cls, value):
        if isinstance(value, str):
            value = [value, value]
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise PydanticCustomError("range", "expected [first, last] months, e.g. "
                                               "[2025-01, 2025-03]")
        first, last = (_period(v) for v in value)
        if len(first) != len(last):
            raise PydanticCustomError("range", "give two months or two years")
        if first > last:
            raise PydanticCustomError("range", "first month is after the last")
        return (first, last)


class ObservedSeries(BaseModel):
    """One observed series and the simulated quantity it is compared with.

    ``exclude_months`` drops rows that are not comparable (e.g. a product-form change);
    ``weight`` scales the series' residuals in calibration. ``resolution: year`` compares
    annual rows (period ``YYYY``; file column ``period`` or ``month``) with the mean of the
    simulated months of that year; the baseline is then given in years.
    """

    model_config = _strict()

    series: str
    file: str
    partner: str = "WORLD"
    resolution: Literal["month", "year"] = "month"
    simulated: SimulatedQuantity
    baseline: Baseline
    exclude_months: tuple[str, ...] = ()
    weight: float = 1.0

    @field_validator("exclude_months", mode="before")
    @classmethod
    def _months(cls, value):
        values = [value] if isinstance(value, str) else (value or [])
        return tuple(_period(v) for v in values)

    @field_validator("weight")
    @classmethod
    def _positive(cls, value):
        if value <= 0:
            raise PydanticCustomError("range", "must be > 0")
        return value


class StoppageMap(BaseModel):
    """Stoppage rows whose ``company`` contains ``company`` (case-insensitive) map to the
    network's sinks matching ``sinks``."""

    model_config = _strict()

    company: str
    sinks: Selector


class Stoppages(BaseModel):
    """A stoppage list (columns ``company, country, sector, date``) and its mapping to sinks.

    Rows not in ``map`` go to the sinks of their country (``EU`` = the EU-27) and sector.
    """

    model_config = _strict()

    file: str
    map: list[StoppageMap] = []


class FreeParameter(BaseModel):
    """A scenario number ``tiern calibrate`` may change, within ``bounds`` (low, high).

    ``{shock: i, field: capacity_loss | start_month | duration_months}`` is a number of
    shock i; ``{field: inventory_days, select: {...}}`` sets the input stock (days) of the
    facilities matching ``select`` (written to ``responses.inventory_days``).
    """

    model_config = _strict()

    shock: Optional[int] = None
    field: Literal["capacity_loss", "start_month", "duration_months", "inventory_days"]
    select: Optional[Selector] = None
    bounds: tuple[float, float]

    @field_validator("bounds", mode="before")
    @classmethod
    def _bounds(cls, value):
        if not isinstance(value, (list, tuple)) or len(value) != 2 or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            raise PydanticCustomError("bounds", "expected [low, high] numbers")
        if value[0] >= value[1]:
            raise PydanticCustomError("bounds", "low must be below high")
        return (float(value[0]), float(value[1]))

    @model_validator(mode="after")
    def _range(self):
        low, high = self.bounds
        if self.field == "inventory_days":
            if self.select is None or self.select.is_empty or self.shock is not None:
                raise PydanticCustomError("inventory", "inventory_days takes a select filter "
                                                       "(and no shock)")
        elif self.shock is None or self.select is not None:
            raise PydanticCustomError("shock", "{field} takes a shock number (and no select)",
                                      {"field": self.field})
        elif self.shock < 0:
            raise PydanticCustomError("range", "shock must be a shock number (0, 1, ...)")
        if self.field == "capacity_loss" and (low < 0 or high > 1):
            raise PydanticCustomError("bounds", "capacity_loss bounds must lie within [0, 1]")
        if low < 0:
            raise PydanticCustomError("bounds", "bounds must be >= 0")
        return self

    @property
    def label(self) -> str:
        if self.field == "inventory_days":
            chosen = {k: v for k, v in self.select.model_dump(exclude_none=True,
                                                              exclude_defaults=True).items()
                      if not k.endswith("_basis")}
            text = ", ".join(f"{k}={'+'.join(v)}" for k, v in chosen.items())
            return f"inventory_days[{text}]"
        return f"shocks[{self.shock}].{self.field}"


class Observed(BaseModel):
    """The ``observed:`` block (see the module docstring)."""

    model_config = _strict()

    month0: str
    fit_until: Optional[str] = None
    series: list[ObservedSeries]
    stoppages: Optional[Stoppages] = None
    free: list[FreeParameter] = []
    bootstrap: int = 40

    @field_validator("month0", "fit_until", mode="before")
    @classmethod
    def _month(cls, value):
        return None if value is None else _month(value)

    @field_validator("series")
    @classmethod
    def _some(cls, value):
        if not value:
            raise PydanticCustomError("empty", "needs at least one series")
        return value

    @field_validator("bootstrap")
    @classmethod
    def _replicates(cls, value):
        if not 0 <= value <= 10_000:
            raise PydanticCustomError("range", "must be between 0 and 10000")
        return value


#: The ``calibration:`` block ``tiern calibrate`` writes: free-form, recorded as is.
Calibration = dict[str, Any]

__all__ = ["Observed", "ObservedSeries", "SimulatedQuantity", "Baseline", "Stoppages",
           "StoppageMap", "FreeParameter", "Calibration", "month_index", "month_name",
           "period_months", "period_end"]
