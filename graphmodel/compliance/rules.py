"""Compliance rules as data: YAML files validated into typed rule objects.

Every rule is one YAML file (``graphmodel/compliance/rules/*.yaml`` ships the built-in
ones; ``--rules-file`` adds a user's own). A file's ``kind`` picks its schema:

``sourcing``
    An origin restriction such as DFARS 252.225-7052: covered countries, covered
    materials, covered *steps* (``mined``, ``refined``, ``separated``, ``melted``,
    ``produced``) mapped to chain stages, applicability to sinks by sector, and the
    commercial-off-the-shelf (COTS) exemption. Evaluated by
    :func:`graphmodel.compliance.sourcing.evaluate_sourcing`.
``benchmark``
    A concentration benchmark such as the EU CRMA 2030 target (no more than 65% of a
    buyer set's supply at any processing stage from a single third country).
``export_control``
    Element- and product-based export controls of a country (China, April and October 2025).

Dates: ``effective`` (first day in force), optional ``expires`` (first day no longer in
force) and ``suspended`` windows (``from`` inclusive, ``until`` exclusive). A rule is
evaluated whatever the date; the ``in_force`` column says whether it binds on ``as_of``.
"""
from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Annotated, Literal, Optional, Union

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from graphmodel.errors import Problem, TiernError, ValidationError
from graphmodel.io.normalize import normalize_country
from graphmodel.safe_yaml import YamlProblem, load_yaml
from graphmodel.schema import ALL_STAGES, EU27, SECTORS

RULES_DIR = Path(__file__).with_name("rules")

#: The documented mapping from the regulation's verbs to chain stages (DFARS 225.7018-1
#: defines the steps; the stages are tiern's). A rule may override it with ``step_stages``.
#: ``manufactured`` covers the clause's "end item, manufactured in any covered country,
#: that contains a covered material" (motors and OEM products containing magnets).
DEFAULT_STEP_STAGES: dict[str, tuple[str, ...]] = {
    "mined": ("mine", "concentrator"),
    "refined": ("mrec", "metal"),
    "separated": ("separator",),
    "melted": ("metal", "alloy"),
    "produced": ("magnet",),
    "manufactured": ("motor", "oem"),
}

_COUNTRY_GROUPS = {"EU27": EU27}


class RuleError(TiernError):
    """A rule name that does not exist (the message lists the known ones)."""


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    title: str
    url: Optional[str] = None
    note: Optional[str] = None


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=True)
    start: dt.date = Field(alias="from")
    until: Optional[dt.date] = None  # exclusive; None = open-ended
    note: Optional[str] = None

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.until is None or day < self.until)


class _RuleBase(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str
    family: Optional[str] = None
    description: Optional[str] = None
    effective: dt.date
    expires: Optional[dt.date] = None
    suspended: list[Window] = []
    sources: list[Source] = Field(min_length=1)
    notes: Optional[str] = None
    path: Optional[str] = Field(default=None, exclude=True)  # file it was read from

    def in_force(self, day: dt.date) -> bool:
        """True when the rule binds on ``day``: effective, not expired, not suspended."""
        if day < self.effective or (self.expires is not None and day >= self.expires):
            return False
        return not any(window.covers(day) for window in self.suspended)


def _country(value: str) -> str:
    """One country (normalised to alpha-2) or a group name, checked item by item so an
    error names the list position."""
    if value in _COUNTRY_GROUPS:
        return value
    code = normalize_country(value)
    if code is None:
        raise ValueError(f"unknown country '{value}' (use ISO 3166-1 alpha-2, e.g. CN, "
                         f"or a group: {', '.join(_COUNTRY_GROUPS)})")
    return code


Country = Annotated[str, AfterValidator(_country)]


def expand_countries(values: list[str]) -> list[str]:
    """Expand group names (EU27) into their members."""
    codes = []
    for value in values:
        codes.extend(_COUNTRY_GROUPS.get(value, (value,)))
    return codes


def _stages(values: list[str]) -> list[str]:
    for value in values:
        if value not in ALL_STAGES:
            raise ValueError(f"unknown stage '{value}' (expected one of: {', '.join(ALL_STAGES)})")
    return list(values)


class Applicability(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    #: Sink sectors the rule applies to; ``None`` = every sink.
    sectors: Optional[list[str]] = None

    @field_validator("sectors")
    @classmethod
    def _known_sectors(cls, value):
        for sector in value or []:
            if sector not in SECTORS:
                raise ValueError(f"unknown sector '{sector}' (expected one of: {', '.join(SECTORS)})")
        return value


#: How a COTS link's measured value is compared with ``threshold`` to be exempt.
COTS_COMPARISONS: dict[str, str] = {
    "below": "<", "at_or_below": "<=", "above": ">", "at_or_above": ">=",
}
#: Measures that are weight fractions (their threshold must lie in 0..1).
FRACTION_MEASURES = frozenset({"covered_content"})


class CotsExemption(BaseModel):
    """The commercial-off-the-shelf (COTS) exemption of a sourcing rule, as data.

    A link (or its supplier) flagged ``cots`` is exempt when its value of ``measure`` (a link
    column, falling back to the supplier's facility column) compares with ``threshold`` as
    ``exempt_when`` says: ``below`` (value < threshold), ``at_or_below`` (<=), ``above`` (>)
    or ``at_or_above`` (>=). Missing values: ``covered_content`` defaults to 1.0 when the
    link's material is a covered material and 0.0 otherwise; any other measure left blank
    means not exempt (an unknown value cannot prove an exemption).

    The bundled DFARS rules use ``measure: covered_content, threshold: 0.5, exempt_when:
    below``: 10 U.S.C. 4872(c)(3)(A) excepts COTS end items containing covered material
    other than COTS items 50 percent or more tungsten by weight and mill products not yet
    incorporated into an end item (tiern applies the 50% weight cut-off to all covered
    material, which keeps a bare COTS magnet, content 1.0, covered)."""
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    exempt: bool = True
    measure: str = Field("covered_content", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    threshold: float = Field(0.5, allow_inf_nan=False)
    exempt_when: Literal["below", "at_or_below", "above", "at_or_above"] = "below"

    @model_validator(mode="after")
    def _fraction_threshold(self):
        if self.measure in FRACTION_MEASURES and not 0 <= self.threshold <= 1:
            raise ValueError(f"threshold {self.threshold:g} is outside 0..1, but measure "
                             f"'{self.measure}' is a weight fraction")
        return self

    def overridden(self, threshold: float | None = None,
                   exempt_when: str | None = None) -> "CotsExemption":
        """This exemption with the command line's overrides, validated like the file."""
        changes = {key: value for key, value in
                   (("threshold", threshold), ("exempt_when", exempt_when)) if value is not None}
        if not changes:
            return self
        try:
            return CotsExemption.model_validate({**self.model_dump(), **changes})
        except PydanticValidationError as error:
            message = "; ".join(
                f"{'.'.join(map(str, item['loc'])) or 'cots'}: "
                f"{item['msg'].removeprefix('Value error, ')}" for item in error.errors())
            raise RuleError(f"COTS override (--cots-threshold / --cots-exempt-when): "
                            f"{message}") from None

    def describe(self) -> str:
        """E.g. ``cots and covered_content < 0.5`` (or ``none``)."""
        if not self.exempt:
            return "none"
        return f"cots and {self.measure} {COTS_COMPARISONS[self.exempt_when]} {self.threshold:g}"


class SourcingRule(_RuleBase):
    kind: Literal["sourcing"]
    covered_countries: list[Country] = Field(min_length=1)
    covered_materials: list[str] = Field(min_length=1)
    covered_steps: list[str] = Field(min_length=1)
    step_stages: dict[str, list[str]] = {}
    producing_stage: str = "magnet"
    applies_to: Applicability = Applicability()
    cots: CotsExemption = CotsExemption()
    trace_through_recyclers: bool = True

    @field_validator("covered_countries")
    @classmethod
    def _check_countries(cls, value):
        return expand_countries(value)

    @field_validator("step_stages")
    @classmethod
    def _check_step_stages(cls, value):
        return {step: _stages(stages) for step, stages in value.items()}

    @field_validator("producing_stage")
    @classmethod
    def _check_producing_stage(cls, value):
        return _stages([value])[0]

    @model_validator(mode="after")
    def _check_steps(self):
        mapping = self.stage_mapping()
        for step in self.covered_steps:
            if step not in mapping:
                raise ValueError(f"covered_steps: unknown step '{step}' (expected one of: "
                                 f"{', '.join(mapping)}, or define it in step_stages)")
        return self

    def stage_mapping(self) -> dict[str, tuple[str, ...]]:
        """The step -> stages mapping: the documented default, overridden per rule."""
        mapping = dict(DEFAULT_STEP_STAGES)
        mapping.update({step: tuple(stages) for step, stages in self.step_stages.items()})
        return mapping

    def covered_stages(self) -> frozenset[str]:
        mapping = self.stage_mapping()
        return frozenset(stage for step in self.covered_steps for stage in mapping[step])


class BenchmarkRule(_RuleBase):
    kind: Literal["benchmark"]
    max_single_country_share: float = Field(gt=0, le=1)
    stages: list[str] = Field(min_length=1)
    home_countries: list[Country] = Field(min_length=1)
    #: Default buyer set: facilities located in these countries (CLI ``--buyers`` overrides).
    buyer_countries: list[Country] = Field(min_length=1)

    @field_validator("stages")
    @classmethod
    def _check_stages(cls, value):
        return _stages(value)

    @field_validator("home_countries", "buyer_countries")
    @classmethod
    def _check_countries(cls, value):
        return expand_countries(value)


class ProductControl(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    #: Case-insensitive substring matched against a link's material.
    pattern: str
    #: Only when the product contains these elements (checked through the magnet grade; an
    #: unknown grade counts as containing them, conservatively).
    if_contains: list[str] = []


class Extraterritorial(BaseModel):
    """Foreign-made items with at least ``min_share`` of controlling-country origin are
    controlled too (MOFCOM No. 61: 0.1% by value; tiern measures it by volume share)."""
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    min_share: float = Field(gt=0, le=1)


class ExportControlRule(_RuleBase):
    kind: Literal["export_control"]
    controlling_countries: list[Country] = Field(min_length=1)
    elements: list[str] = []
    element_names: dict[str, str] = {}
    products: list[ProductControl] = []
    material_patterns: list[str] = []
    extraterritorial: Optional[Extraterritorial] = None

    @field_validator("controlling_countries")
    @classmethod
    def _check_countries(cls, value):
        return expand_countries(value)


Rule = Annotated[Union[SourcingRule, BenchmarkRule, ExportControlRule], Field(discriminator="kind")]
_RULE_ADAPTER = TypeAdapter(Rule)


# --- loading ------------------------------------------------------------------------------

def load_rule_file(path: str | Path) -> Rule:
    """Read and validate one rule file; errors name the file, line and field."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
        data = load_yaml(text, str(path), finite=False)  # the rule model refuses inf/nan by field
    except OSError as error:
        raise ValidationError([Problem(str(path), 0, "-", f"cannot read rule file: {error}")])
    except UnicodeDecodeError:
        try:
            load_yaml(path.read_bytes(), str(path))  # names the line of the first bad byte
        except YamlProblem as problem:
            raise ValidationError([Problem(str(path), problem.line, "-", problem.message)]) from None
    except YamlProblem as problem:
        raise ValidationError([Problem(str(path), problem.line, "-", problem.message)]) from None
    if not isinstance(data, dict):
        raise ValidationError([Problem(str(path), 0, "-", "a rule file must be a YAML mapping")])
    try:
        rule = _RULE_ADAPTER.validate_python(data)
    except PydanticValidationError as error:
        raise ValidationError(_problems(path, text, error)) from None
    rule.path = str(path)
    return rule


def _problems(path: Path, text: str, error: PydanticValidationError) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = [p for p in item["loc"] if p not in ("sourcing", "benchmark", "export_control")]
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc, message = ["kind"], "expected kind: sourcing, benchmark or export_control"
        field = ".".join(str(p) for p in loc) or "-"
        problems.append(Problem(str(path), _line_of(text, loc), field, message))
    return problems


def _line_of(text: str, loc: list) -> int:
    """1-based line of the YAML node at ``loc`` (its nearest existing parent), 0 if unknown."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return 0
    line = 0
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == str(key)), None)
            key_node = next((k for k, v in node.value if k.value == str(key)), None)
            if match is None:
                break
            line, node = key_node.start_mark.line + 1, match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


@cache
def _builtin_rules() -> tuple:
    return tuple(load_rule_file(p) for p in sorted(RULES_DIR.glob("*.yaml")))


def load_rules(extra_files: list[str | Path] | None = None) -> dict[str, Rule]:
    """Built-in rules plus any user rule files, by id (a user file may replace a built-in)."""
    rules = {rule.id: rule for rule in _builtin_rules()}
    for path in extra_files or []:
        rule = load_rule_file(path)
        rules[rule.id] = rule
    return rules


def select_rules(rules: dict[str, Rule], name: str, as_of: dt.date, kind: str | None = None
                 ) -> list[Rule]:
    """Rules named by ``name``: an id, a family (its version in force on ``as_of``, else the
    latest effective one), or ``all``; optionally only one ``kind``."""
    pool = {rid: r for rid, r in rules.items() if kind is None or r.kind == kind}
    if name == "all":
        return list(pool.values())
    if name in pool:
        return [pool[name]]
    family = [r for r in pool.values() if r.family == name]
    if family:
        current = [r for r in family if r.effective <= as_of] or family
        return [max(current, key=lambda r: (r.in_force(as_of), r.effective))]
    known = sorted(pool) + sorted({r.family for r in pool.values() if r.family})
    raise RuleError(f"unknown rule '{name}' (known: {', '.join(known)}, all)")
