"""Safe loading of the YAML files tiern reads (scenarios, rules, standards, calibrations).

On top of :class:`yaml.SafeLoader` (no Python objects), a file is refused with its line when it:

* is not UTF-8 text;
* uses an alias (``*name``, also in a ``<<:`` merge key): aliases let a few lines expand into
  millions of values (the "billion laughs"), e.g. inside a scenario selector;
* repeats a key in one mapping (YAML keeps the last one silently);
* holds a float that is not finite (``.inf``, ``.nan``, ``1.0e+999``) or underflows to 0;
* holds an impossible date (``2025-02-30``);
* is larger than :data:`MAX_YAML_BYTES` or nested deeper than Python's recursion limit.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from graphmodel.errors import TiernError

#: Largest YAML file read (scenarios and rules are a few kilobytes).
MAX_YAML_BYTES = 10 * 1024 ** 2

__all__ = ["MAX_YAML_BYTES", "YamlProblem", "load_yaml", "load_yaml_file", "NoAliasDumper", "dump_yaml"]


class YamlProblem(TiernError):
    """A YAML file tiern refuses; ``file``, ``line`` (1-based, 0 when unknown) and ``message``."""

    def __init__(self, file: str, line: int, message: str):
        self.file, self.line, self.message = file, line, message
        super().__init__(f"{file}:{line}: {message}" if line else f"{file}: {message}")


class _Refused(Exception):
    def __init__(self, node_or_event, message: str):
        self.line = node_or_event.start_mark.line + 1
        self.message = message


class _StrictLoader(yaml.SafeLoader):
    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(event, f"alias *{event.anchor} is not accepted (aliases can expand "
                                  "without bound); write the value out")
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: SafeLoader reports it
                    break
                if first is not None:
                    raise _Refused(key_node, f"duplicate key '{key}' (first on line {first})")
                seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_float(self, node):
        value = super().construct_yaml_float(node)
        text = str(node.value)
        if math.isnan(value) or math.isinf(value):
            raise _Refused(node, f"expected a finite number, got '{text}'")
        if value == 0 and re.search(r"^[^eE]*[1-9]", text):
            raise _Refused(node, f"number {text} is too small to represent (it would read as 0)")
        return value

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as error:
            raise _Refused(node, f"impossible date '{node.value}' ({error})") from None


_StrictLoader.add_constructor("tag:yaml.org,2002:float", _StrictLoader.construct_yaml_float)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)
_StrictLoader.add_constructor("tag:yaml.org,2002:map", _StrictLoader.construct_yaml_map)


class _NonFiniteLoader(_StrictLoader):
    """The strict loader, except that floats are read as YAML reads them."""


_NonFiniteLoader.add_constructor("tag:yaml.org,2002:float", yaml.SafeLoader.construct_yaml_float)


class NoAliasDumper(yaml.SafeDumper):
    """A safe dumper that writes a repeated value out again instead of as an alias, so what
    tiern writes, tiern reads."""

    def ignore_aliases(self, data) -> bool:
        return True


def dump_yaml(data: Any, **options) -> str:
    """``data`` as YAML text without aliases (see :class:`NoAliasDumper`)."""
    return yaml.dump(data, Dumper=NoAliasDumper, **options)


def load_yaml(text: str | bytes, file: str = "<yaml>", finite: bool = True) -> Any:
    """Parse YAML text (bytes must be UTF-8); raises :class:`YamlProblem`.

    ``finite=False`` leaves non-finite floats to the caller's schema (which then names the
    field); every other refusal stays.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = text[: error.start].count(b"\n") + 1
            raise YamlProblem(file, line, f"not UTF-8 text (byte 0x{text[error.start]:02x} on "
                                          f"line {line}); save it as UTF-8") from None
    try:
        return yaml.load(text, Loader=_StrictLoader if finite else _NonFiniteLoader)  # noqa: S506
    except _Refused as refused:
        raise YamlProblem(file, refused.line, refused.message) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise YamlProblem(file, mark.line + 1 if mark else 0, f"not valid YAML ({problem})") from None
    except RecursionError:
        raise YamlProblem(file, 0, "nested too deeply") from None


def load_yaml_file(path: str | Path, file: str | None = None) -> Any:
    """Read and parse a YAML file; ``file`` names it in messages (default: the path)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise YamlProblem(file or str(path), 0, f"file is {size:,} bytes, more than the "
                                                    f"{MAX_YAML_BYTES:,} tiern reads as YAML")
        data = path.read_bytes()
    except OSError as error:
        raise YamlProblem(file or str(path), 0, f"cannot read ({error.strerror or error})") from None
    return load_yaml(data, file or str(path))
