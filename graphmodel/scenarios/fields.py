"""The building blocks of scenario files: strict pydantic config, facility selectors and
quantities that may be distributions (shared by :mod:`.model` and :mod:`.observed`)."""
from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..io.normalize import normalize_country
from ..schema import ALL_STAGES, ELEMENTS, FACILITY_STATUS, SECTORS

#: Selector fields whose values must come from a fixed list.
_ALLOWED = {"stage": ALL_STAGES, "status": FACILITY_STATUS, "sector": SECTORS,
            "element": ELEMENTS}


def strict_config(model_config: ConfigDict | None = None) -> ConfigDict:
    # allow_inf_nan: pydantic would read 'inf', 'nan' and '1e309' (strings in YAML) as floats
    return ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, **(model_config or {}))


StrList = Union[str, list[str]]


def as_list(value) -> Optional[tuple[str, ...]]:
    if value is None:
        return None
    values = [value] if isinstance(value, str) else list(value)
    return tuple(str(v) for v in values)


class Selector(BaseModel):
    """A facility filter; every given field must match (values in a list are alternatives).

    Fields: ``id``, ``stage``, ``country`` (ISO alpha-2, matched on ``country_basis``:
    ``location`` = where the plant is, ``control`` = the country of its ultimate owner),
    ``owner`` (matched on ``owner_basis``: ``written`` = as in facilities.csv, ``ultimate``
    = the majority-control parent), ``status``, ``sector`` and ``material``. In a shock's
    ``select``, ``material`` narrows the shock to the selected facilities' outbound links
    carrying that material; elsewhere it selects facilities that supply that material.
    ``element`` (symbols, e.g. ``[Dy, Tb]``) does the same for every material whose content
    of any listed element exceeds ``min_content`` (mass fraction, default 0: any content;
    ``materials.csv``): the October 2025 rule's 0.1% de minimis is ``min_content: 0.001``.
    """

    model_config = strict_config()

    id: Optional[tuple[str, ...]] = None
    stage: Optional[tuple[str, ...]] = None
    country: Optional[tuple[str, ...]] = None
    country_basis: Literal["location", "control"] = "location"
    owner: Optional[tuple[str, ...]] = None
    owner_basis: Literal["written", "ultimate"] = "written"
    status: Optional[tuple[str, ...]] = None
    sector: Optional[tuple[str, ...]] = None
    material: Optional[tuple[str, ...]] = None
    element: Optional[tuple[str, ...]] = None
    min_content: float = 0.0

    @field_validator("id", "stage", "country", "owner", "status", "sector", "material", "element",
                     mode="before")
    @classmethod
    def _listify(cls, value):
        if value is not None and not isinstance(value, (str, list, tuple)):
            raise PydanticCustomError("type", "expected a text value or a list of them")
        return as_list(value)

    @field_validator(*_ALLOWED)
    @classmethod
    def _known(cls, value, info):
        return check_allowed(value, _ALLOWED[info.field_name], info.field_name)

    @field_validator("min_content", mode="before")
    @classmethod
    def _content(cls, value):
        return fraction(value, "min_content")

    @field_validator("country")
    @classmethod
    def _country_code(cls, value):
        if value is None:
            return None
        return country_codes(value)

    def require_filter(self) -> "Selector":
        """The selector itself; a pydantic error when it has no filter at all."""
        if self.is_empty:
            raise PydanticCustomError("empty", "needs at least one filter (id, stage, country, "
                                               "owner, status, sector, material or element)")
        return self

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, f) is None for f in
                   ("id", "stage", "country", "owner", "status", "sector", "material",
                    "element"))


def check_allowed(value, allowed, what):
    if value is None:
        return None
    for item in value:
        if item not in allowed:
            raise PydanticCustomError(
                "allowed", "unknown {what} '{item}' (expected one of: {allowed})",
                {"what": what, "item": item, "allowed": ", ".join(allowed)})
    return value


class Distribution(BaseModel):
    """A random quantity for Monte Carlo runs.

    ``lognormal``: ``median``, ``sigma`` (of the log); ``uniform``: ``low``, ``high``;
    ``triangular``: ``low``, ``mode``, ``high``; ``normal``: ``mean``, ``sd``. Draws are
    clipped to the field's range. A deterministic run uses the central value
    (:attr:`central`): the median, the midpoint, the mode or the mean.
    """

    model_config = strict_config()

    dist: Literal["lognormal", "uniform", "triangular", "normal"]
    median: Optional[float] = None
    sigma: Optional[float] = None
    low: Optional[float] = None
    mode: Optional[float] = None
    high: Optional[float] = None
    mean: Optional[float] = None
    sd: Optional[float] = None

    @model_validator(mode="after")
    def _parameters(self):
        needed = {"lognormal": ("median", "sigma"), "uniform": ("low", "high"),
                  "triangular": ("low", "mode", "high"), "normal": ("mean", "sd")}[self.dist]
        given = {k for k in ("median", "sigma", "low", "mode", "high", "mean", "sd")
                 if getattr(self, k) is not None}
        missing = [k for k in needed if k not in given]
        extra = sorted(given - set(needed))
        if missing or extra:
            raise PydanticCustomError(
                "dist", "{dist} takes {needed}{detail}",
                {"dist": self.dist, "needed": ", ".join(needed),
                 "detail": (f" (missing {', '.join(missing)})" if missing else "")
                 + (f" (unexpected {', '.join(extra)})" if extra else "")})
        if self.dist == "lognormal" and (self.median <= 0 or self.sigma < 0):
            raise PydanticCustomError("dist", "lognormal needs median > 0 and sigma >= 0")
        if self.dist == "uniform" and self.low > self.high:
            raise PydanticCustomError("dist", "uniform needs low <= high")
        if self.dist == "triangular" and not (self.low <= self.mode <= self.high):
            raise PydanticCustomError("dist", "triangular needs low <= mode <= high")
        if self.dist == "normal" and self.sd < 0:
            raise PydanticCustomError("dist", "normal needs sd >= 0")
        return self

    @property
    def central(self) -> float:
        return {"lognormal": self.median, "uniform": None, "triangular": self.mode,
                "normal": self.mean}[self.dist] if self.dist != "uniform" \
            else (self.low + self.high) / 2


Quantity = Union[float, Distribution]


def quantity(value, low: float, high: float | None, what: str):
    """Validate a number-or-distribution field with a readable range message."""
    if isinstance(value, dict):
        return Distribution.model_validate(value)
    if isinstance(value, Distribution):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PydanticCustomError("number", "expected a number or a distribution like {example}",
                                  {"example": "{dist: lognormal, median: 6, sigma: 0.5}"})
    if value < low or (high is not None and value > high):
        raise PydanticCustomError("range", f"must be between {low:g} and {high:g}" if high is not None
                                  else f"must be >= {low:g}")
    return float(value)


def fraction(value, what: str) -> float:
    """A plain number in [0, 1] (no distribution), as a pydantic error otherwise."""
    value = quantity(value, 0.0, 1.0, what)
    if isinstance(value, Distribution):
        raise PydanticCustomError("number", "must be a number between 0 and 1")
    return value


def country_codes(values) -> tuple[str, ...]:
    """ISO alpha-2 codes of country names or codes, as a pydantic error for an unknown one."""
    codes = []
    for item in values:
        code = normalize_country(str(item))
        if code is None:
            raise PydanticCustomError(
                "country", "unknown country '{item}' (use ISO 3166-1 alpha-2, e.g. CN)",
                {"item": item})
        codes.append(code)
    return tuple(codes)
