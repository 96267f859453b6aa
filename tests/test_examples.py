"""The `>>>` examples in the package's docstrings run, and say what they print.

Every module of `sim` whose source holds a ``>>>`` example is imported and its doctests run from
the repository's root (the examples name files such as ``scenarios/functional.toml``). An example
that looks like a doctest but is not run would go stale unseen; one that needs no checking is
written as a plain code block instead.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(
    path
    for path in (ROOT / "sim").rglob("*.py")
    if ">>>" in path.read_text(encoding="utf-8") and path.name != "__main__.py"
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_package_has_examples():
    assert "sim" in map(module_name, EXAMPLES)


@pytest.mark.parametrize("path", EXAMPLES, ids=module_name)
def test_docstring_examples_run(path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(ROOT)
    module = importlib.import_module(module_name(path))
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"
