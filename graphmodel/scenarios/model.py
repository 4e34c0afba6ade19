"""Scenario files: the YAML format, its validation and the parsed model.

A scenario is a list of *shocks* (what goes wrong, where, how badly, when, for how long)
plus the *responses* the engine may use (inventories, rerouting to spare capacity,
qualification of alternative links, new capacity). Files are validated with pydantic;
every problem is reported at once, naming the file and the field path::

    china.yaml: shocks[0].capacity_loss: must be between 0 and 1

Numbers that Monte Carlo may vary (``capacity_loss``, ``start_month``,
``duration_months``) take either a number or a distribution such as
``{dist: lognormal, median: 6, sigma: 0.5}`` (see :class:`Distribution`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, ValidationError as PydanticError, field_validator
from pydantic import model_validator
from pydantic_core import PydanticCustomError

from ..errors import TiernError
from ..limits import MAX_HORIZON_MONTHS, MAX_RUNS, MAX_SEED
from ..safe_yaml import YamlProblem, load_yaml_file
from .fields import (Distribution, Quantity, Selector, as_list, check_allowed, fraction, quantity,
                     strict_config)
from .observed import Observed

#: Days in a scenario month when converting ``inventory_days`` (a 30-day month, so 60 days
#: of stock is exactly 2 months of consumption).
DAYS_PER_MONTH = 30.0


class ScenarioFileError(TiernError):
    """A scenario file that cannot be read or is invalid; ``problems`` holds (field path, message)."""

    def __init__(self, file: str, problems: list[tuple[str, str]]):
        self.file = file
        self.problems = problems
        super().__init__("\n".join(f"{file}: {path}: {message}" if path else f"{file}: {message}"
                                   for path, message in problems))


class Shock(BaseModel):
    """One disruption.

    ``type: outage`` (default) cuts the capacity of the selected facilities, or, when
    ``select`` names a ``material`` or a ``to`` filter is given, only their outbound
    links carrying that material / going to those customers. ``type: export_control``
    cuts the selected facilities' outbound links to customers located in *another*
    country (the plant still serves its home market), optionally narrowed by
    ``material`` and ``to``. ``sinks`` restricts whose supply the shock counts against
    (e.g. a procurement rule that only binds defense OEMs): the engine simulates the
    network once without and once with such shocks (as extra columns of the same block)
    and reads each bound sink's results from the latter; per-stage and rerouted-link
    tables come from the simulation without them.

    ``capacity_loss`` (0..1) is the fraction lost while active; the shock is active over
    ``[start_month, start_month + duration_months)`` (``duration_months: null`` = to the
    horizon; fractional months count pro rata). ``probability`` (0..1) and
    distributions matter only in Monte Carlo runs; ``correlation_group`` (default: the
    selected country) ties the occurrence of shocks together (see
    :mod:`graphmodel.scenarios.montecarlo`).
    """

    model_config = strict_config()

    name: Optional[str] = None
    type: Literal["outage", "export_control"] = "outage"
    select: Selector
    to: Optional[Selector] = None
    sinks: Optional[Selector] = None
    capacity_loss: Quantity = 1.0
    start_month: Quantity = 0.0
    duration_months: Optional[Quantity] = None
    probability: float = 1.0
    correlation_group: Optional[str] = None

    @field_validator("capacity_loss", mode="before")
    @classmethod
    def _loss(cls, value):
        return quantity(value, 0.0, 1.0, "capacity_loss")

    @field_validator("start_month", mode="before")
    @classmethod
    def _start(cls, value):
        return quantity(value, 0.0, None, "start_month")

    @field_validator("duration_months", mode="before")
    @classmethod
    def _duration(cls, value):
        return None if value is None else quantity(value, 0.0, None, "duration_months")

    @field_validator("probability", mode="before")
    @classmethod
    def _probability(cls, value):
        return fraction(value, "probability")

    @field_validator("select")
    @classmethod
    def _non_empty(cls, value: Selector):
        return value.require_filter()

    @property
    def acts_on_links(self) -> bool:
        """Whether the shock scales links (export control, material, element or customer filter)."""
        return self.type == "export_control" or self.select.material is not None \
            or self.select.element is not None or self.to is not None

    def group(self, position: int) -> str:
        """The correlation group: explicit, else the selected countries, else the shock alone."""
        if self.correlation_group:
            return self.correlation_group
        if self.select.country:
            return "country:" + "+".join(sorted(self.select.country))
        return f"shock:{position}"


class LinkRef(BaseModel):
    model_config = strict_config()

    supplier: str
    customer: str
    material: Optional[str] = None


class NewCapacity(BaseModel):
    """Capacity that comes online at ``month`` and ramps linearly to full over ``ramp_months``.

    Either ``select`` (facilities, e.g. planned plants: they may then supply through their
    links, as spare capacity for rerouting) or ``link`` (a link that becomes usable for
    rerouting, like a qualified one). ``capacity`` (per year) overrides the facility's
    capacity or caps the link; a link without it is limited by its supplier's spare capacity.
    """

    model_config = strict_config()

    select: Optional[Selector] = None
    link: Optional[LinkRef] = None
    month: float = 0.0
    ramp_months: float = 0.0
    capacity: Optional[float] = None

    @field_validator("month", "ramp_months", "capacity", mode="before")
    @classmethod
    def _non_negative(cls, value):
        if value is None:
            return None
        value = quantity(value, 0.0, None, "")
        if isinstance(value, Distribution):
            raise PydanticCustomError("number", "must be a number >= 0")
        return value

    @model_validator(mode="after")
    def _one_target(self):
        if (self.select is None) == (self.link is None):
            raise PydanticCustomError("target", "give exactly one of select or link")
        return self


class InventoryDays(BaseModel):
    """Days of input stock for the facilities matching ``select``, in place of their
    ``inventory_days`` (e.g. written by ``tiern calibrate``)."""

    model_config = strict_config()

    select: Selector
    days: float

    @field_validator("days", mode="before")
    @classmethod
    def _non_negative(cls, value):
        value = quantity(value, 0.0, None, "")
        if isinstance(value, Distribution):
            raise PydanticCustomError("number", "must be a number >= 0")
        return value


class Responses(BaseModel):
    """What the engine may do about a shock (see :func:`graphmodel.scenarios.run_scenario`).

    ``inventory``: draw down each facility's ``inventory_days`` of input consumption.
    ``reroute``: move lost volume to spare capacity, over qualified links at once and over
    candidate / in_qualification links once their lead time has elapsed since the first
    shock started. ``reroute_lead_months``: months from the first shock before extra volume
    ordered from any supplier arrives (new orders, production and transit; a qualified link
    included, as a candidate link waits for the longer of this and its qualification).
    In the 2025 magnet shortage, automakers' "efforts to find alternative magnet supplies
    floundered" for the first two months (Reuters, 9 June 2025), so the presets set 2;
    the default 0 lets qualified links take extra volume in the month of the shock.
    ``link_flex`` caps the extra volume a link that carries volume today may
    take, as a fraction of its baseline (supply contracts bind buyers to a variance of about
    20-30% around the quoted volume; ``None`` = no cap, limited by spare capacity alone).
    ``qualification_months`` overrides every link's lead time;
    ``default_qualification_months`` is used where a link gives none. ``refill_rate``: the
    share of a facility's monthly input it can add to a depleted stock per month once its
    supply has recovered. ``new_capacity``: see :class:`NewCapacity`. ``inventory_days``:
    see :class:`InventoryDays` (later entries win where selections overlap).
    """

    model_config = strict_config()

    inventory: bool = True
    reroute: bool = True
    qualification_months: Optional[float] = None
    default_qualification_months: float = 12.0
    refill_rate: float = 0.1
    link_flex: Optional[float] = None
    reroute_lead_months: float = 0.0
    new_capacity: list[NewCapacity] = []
    inventory_days: list[InventoryDays] = []

    @field_validator("qualification_months", "default_qualification_months", "refill_rate",
                     "link_flex", "reroute_lead_months", mode="before")
    @classmethod
    def _non_negative(cls, value):
        if value is None:
            return None
        value = quantity(value, 0.0, None, "")
        if isinstance(value, Distribution):
            raise PydanticCustomError("number", "must be a number >= 0")
        return value


class MonteCarloOptions(BaseModel):
    """Monte Carlo defaults: ``correlation`` (0..1) between shocks of one country; runs; seed."""

    model_config = strict_config()

    correlation: float = 0.0
    runs: int = 1000
    seed: int = 0

    @field_validator("correlation", mode="before")
    @classmethod
    def _fraction(cls, value):
        return fraction(value, "")

    @field_validator("runs", mode="before")
    @classmethod
    def _runs(cls, value):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RUNS:
            raise PydanticCustomError("range", f"must be a whole number of runs between 1 and {MAX_RUNS:,}")
        return value

    @field_validator("seed", mode="before")
    @classmethod
    def _seed(cls, value):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
            raise PydanticCustomError("range", "must be a whole number between 0 and 2**63 - 1")
        return value


class Scenario(BaseModel):
    """A scenario file (see the module docstring and README "## Scenarios")."""

    model_config = strict_config()

    name: str
    description: Optional[str] = None
    source: Optional[str] = None
    horizon_months: int = 36
    shocks: list[Shock]
    responses: Responses = Responses()
    monte_carlo: MonteCarloOptions = MonteCarloOptions()
    observed: Optional[Observed] = None          # backtests: see .observed
    calibration: Optional[dict[str, Any]] = None   # written by `tiern calibrate`

    @field_validator("horizon_months", mode="before")
    @classmethod
    def _horizon(cls, value):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_HORIZON_MONTHS:
            raise PydanticCustomError("range", f"must be a whole number of months between 1 and {MAX_HORIZON_MONTHS}")
        return value

    @field_validator("shocks")
    @classmethod
    def _some_shock(cls, value):
        if not value:
            raise PydanticCustomError("empty", "needs at least one shock")
        return value


def _loc(loc: tuple) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in ("function-after[_one_target()]",) or str(part).startswith("function-"):
            continue
        else:
            text += ("." if text else "") + str(part)
    return text


def _problems(error: PydanticError) -> list[tuple[str, str]]:
    problems = []
    for item in error.errors():
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        elif item["type"] == "missing":
            message = "required field missing"
        # drop the union member names pydantic appends (float, Distribution, ...)
        loc = tuple(p for p in item["loc"] if p not in ("float", "Distribution", "tuple[str, ...]",
                                                          "str", "list[str]"))
        problems.append((_loc(loc), message))
    return list(dict.fromkeys(problems))


def parse_scenario(data: Any, file: str = "<scenario>") -> Scenario:
    """Validate a scenario given as plain data (e.g. built in the app); raise ScenarioFileError."""
    if not isinstance(data, dict):
        raise ScenarioFileError(file, [("", "expected a mapping with name, shocks, responses")])
    try:
        return Scenario.model_validate(data)
    except PydanticError as error:
        raise ScenarioFileError(file, _problems(error)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file; raise :class:`ScenarioFileError` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioFileError(str(path), [("", "no such scenario file")])
    try:
        data = load_yaml_file(path, path.name)
    except YamlProblem as problem:
        raise ScenarioFileError(path.name, [(f"line {problem.line}" if problem.line else "",
                                             problem.message)]) from None
    return parse_scenario(data, path.name)
