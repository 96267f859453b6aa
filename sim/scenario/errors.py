"""Problems with user input, as lines: ``file: key.path: what is wrong (what is allowed)``.

`ProblemsError` is the base of every error that carries such lines (a scenario, a sweep file,
command-line input): the command line prints one line each, the dashboard shows them in the
page. `describe_errors` turns pydantic's validation errors into those lines, with a
suggestion for a misspelt key.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.scenario.schema import Scenario


class ProblemsError(Exception):
    """Bad input: `problems` holds one user-facing line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class ScenarioError(ProblemsError):
    """Bad scenario input: `problems` holds one user-facing line per problem."""


_TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "string": "text",
    "bool": "true or false",
    "list": "a list",
    "dict": "a table",
    "model": "a table",
}


def describe_errors(
    exc: ValidationError, root: type[BaseModel] = Scenario
) -> list[tuple[str, str]]:
    """Turn pydantic's errors into (key.path, 'what is wrong (what is allowed)') pairs; unknown
    keys are listed against `root`'s schema."""
    lines = []
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        path = ".".join(loc) or "(top level)"
        kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
        if kind == "extra_forbidden":
            allowed = allowed_keys(loc[:-1], root)
            close = difflib.get_close_matches(loc[-1], allowed, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            message = f"unknown key ({hint}allowed: {', '.join(allowed)})"
        elif kind == "missing":
            message = "missing (required)"
        elif kind == "literal_error":
            message = f"{value!r} is not allowed (allowed: {ctx.get('expected')})"
        elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
            op = {
                "greater_than_equal": ">=",
                "greater_than": ">",
                "less_than_equal": "<=",
                "less_than": "<",
            }[kind]
            bound = next(iter(ctx.values()))
            message = f"{value!r} is out of range (allowed: {op} {bound})"
        elif kind == "finite_number":
            message = f"{value!r} is not a finite number (allowed: a finite number)"
        elif kind == "too_short":
            message = f"has too few items (allowed: at least {ctx.get('min_length')})"
        elif kind == "too_long":
            message = f"has too many items (allowed: at most {ctx.get('max_length')})"
        elif kind == "string_too_short":
            message = "is empty (allowed: non-empty text)"
        elif kind == "int_from_float":
            message = f"{value!r} is not a whole number (allowed: a whole number)"
        elif kind == "value_error":
            message = str(ctx.get("error", error["msg"]))
        elif kind.endswith("_type") or kind.endswith("_parsing") or kind == "model_type":
            wanted = _TYPE_WORDS.get(kind.split("_")[0], kind.split("_")[0])
            message = f"{value!r} has the wrong type (allowed: {wanted})"
        else:
            message = error["msg"]
        lines.append((path, message))
    return lines


def allowed_keys(loc: list[str], model: type[BaseModel] = Scenario) -> list[str]:
    """The keys the schema accepts at a location such as ['workforce', '0']."""
    for part in loc:
        if part.isdigit():
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        inner = _inner_model(field.annotation)
        if inner is None:
            return []
        model = inner
    return list(model.model_fields)


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None
