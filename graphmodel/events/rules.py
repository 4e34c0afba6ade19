"""The event rules: kinds, material and element keywords, and words never taken as names.

The bundled rules (``graphmodel/events/rules.yaml``, read it for the layout and the reasons
behind each default) can be extended by a user file of the same layout (``tiern watch
--rules FILE``): a new kind is added; for a kind already defined, its keywords are added
and its other fields (``shock``, ``severity``, ``duration_months``) replace the bundled ones;
material and element keywords are added; ``common_words`` are added.

A keyword is matched on whole words, case-insensitively; a trailing ``*`` matches any
ending of its last word; a leading ``=`` makes it case-sensitive (element symbols: ``=Dy``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ValidationError as PydanticError, field_validator
from pydantic_core import PydanticCustomError

from ..errors import TiernError
from ..limits import MAX_HORIZON_MONTHS
from ..safe_yaml import YamlProblem, load_yaml_file
from ..schema import ELEMENTS
from ..scenarios.fields import strict_config

__all__ = ["BUNDLED_RULES", "Kind", "Rules", "RulesFileError", "load_rules"]

#: The bundled rules file.
BUNDLED_RULES = Path(__file__).with_name("rules.yaml")
_KIND_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class RulesFileError(TiernError):
    """A rules file that cannot be read or is invalid: ``file: field: message`` lines."""

    def __init__(self, file: str, problems: list[tuple[str, str]]):
        self.file, self.problems = file, problems
        super().__init__("\n".join(f"{file}: {path}: {message}" if path else f"{file}: {message}"
                                   for path, message in problems))


class _KindModel(BaseModel):
    model_config = strict_config()

    shock: Optional[Literal["outage", "export_control"]] = None
    severity: Optional[float] = None
    duration_months: Optional[float] = None
    keywords: list[str] = []

    @field_validator("severity")
    @classmethod
    def _severity(cls, value):
        if value is not None and not 0.0 <= value <= 1.0:
            raise PydanticCustomError("range", "must be between 0 and 1 (capacity lost)")
        return value

    @field_validator("duration_months")
    @classmethod
    def _duration(cls, value):
        if value is not None and not 0.0 < value <= MAX_HORIZON_MONTHS:
            raise PydanticCustomError("range", f"must be more than 0 and at most "
                                               f"{MAX_HORIZON_MONTHS} months")
        return value

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value):
        return _check_keywords(value)


class _RulesModel(BaseModel):
    model_config = strict_config()

    kinds: dict[str, _KindModel] = {}
    materials: dict[str, list[str]] = {}
    elements: dict[str, list[str]] = {}
    common_words: list[str] = []

    @field_validator("kinds")
    @classmethod
    def _kind_names(cls, value):
        for name in value:
            if not _KIND_NAME.match(name):
                raise PydanticCustomError("name", f"kind '{name}': use lower-case letters, digits "
                                                  "and _ (e.g. export_control)")
        return value

    @field_validator("elements")
    @classmethod
    def _symbols(cls, value):
        for symbol, words in value.items():
            if symbol not in ELEMENTS:
                raise PydanticCustomError("element", f"unknown element '{symbol}' (expected one "
                                                     f"of {', '.join(ELEMENTS)})")
            _check_keywords(words)
        return value

    @field_validator("materials")
    @classmethod
    def _materials(cls, value):
        for words in value.values():
            _check_keywords(words)
        return value


def _check_keywords(words: list[str]) -> list[str]:
    for word in words:
        if not re.search(r"[A-Za-z0-9]", word.lstrip("=").rstrip("*")):
            raise PydanticCustomError("keyword", f"keyword '{word}' has no letter or digit")
    return words


@dataclass(frozen=True)
class Kind:
    """One kind of event: its keywords and the defaults of its draft scenario."""

    name: str
    shock: str
    severity: float
    duration_months: float
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Rules:
    """Merged rules: ``kinds`` in file order (ties between kinds go to the earlier one)."""

    kinds: dict[str, Kind]
    materials: dict[str, tuple[str, ...]]
    elements: dict[str, tuple[str, ...]]
    common_words: frozenset[str] = field(default_factory=frozenset)
    files: tuple[str, ...] = ()


def _read(path: Path) -> _RulesModel:
    if not path.is_file():
        raise RulesFileError(path.name, [("", "no such rules file")])
    try:
        data = load_yaml_file(path, path.name)
    except YamlProblem as problem:
        raise RulesFileError(path.name, [(f"line {problem.line}" if problem.line else "",
                                          problem.message)]) from None
    if not isinstance(data, dict):
        raise RulesFileError(path.name, [("", "expected a mapping with kinds, materials, "
                                              "elements, common_words")])
    try:
        return _RulesModel.model_validate(data)
    except PydanticError as error:
        problems = []
        for item in error.errors():
            where = ".".join(str(p) for p in item["loc"])
            message = "unknown field" if item["type"] == "extra_forbidden" else item["msg"]
            problems.append((where, message))
        raise RulesFileError(path.name, problems) from None


@lru_cache(maxsize=16)
def _bundled() -> _RulesModel:
    return _read(BUNDLED_RULES)


def load_rules(extra: str | Path | None = None) -> Rules:
    """The bundled rules, extended by the file ``extra`` when given (see the module docstring).

    Raises :class:`RulesFileError` naming the file and the field; a new kind in ``extra``
    must give ``shock``, ``severity`` and ``duration_months``.
    """
    models = [("rules.yaml", _bundled())]
    if extra is not None:
        models.append((Path(extra).name, _read(Path(extra))))
    kinds: dict[str, dict] = {}
    materials: dict[str, list[str]] = {}
    elements: dict[str, list[str]] = {}
    common: set[str] = set()
    problems = []
    for file, model in models:
        for name, kind in model.kinds.items():
            merged = kinds.setdefault(name, {"keywords": []})
            for key in ("shock", "severity", "duration_months"):
                value = getattr(kind, key)
                if value is not None:
                    merged[key] = value
            merged["keywords"] += [k for k in kind.keywords if k not in merged["keywords"]]
            missing = [k for k in ("shock", "severity", "duration_months") if k not in merged]
            if missing:
                problems.append((file, f"kinds.{name}", f"a new kind needs {', '.join(missing)}"))
        for name, words in model.materials.items():
            materials.setdefault(name, []).extend(w for w in words if w not in materials[name])
        for symbol, words in model.elements.items():
            elements.setdefault(symbol, []).extend(w for w in words if w not in elements[symbol])
        common |= {w.casefold() for w in model.common_words}
    if problems:
        raise RulesFileError(problems[0][0], [(path, message) for _, path, message in problems])
    return Rules(
        kinds={name: Kind(name, k["shock"], float(k["severity"]), float(k["duration_months"]),
                          tuple(k["keywords"])) for name, k in kinds.items()},
        materials={m: tuple(w) for m, w in materials.items()},
        elements={e: tuple(w) for e, w in elements.items()},
        common_words=frozenset(common), files=tuple(f for f, _ in models))
