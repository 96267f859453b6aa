"""Shared by every test file.

Mesa names its loggers from `inspect.stack()` when it is first imported, and that call costs in
proportion to the stack's depth times the modules already loaded (each frame looks its module up
in `sys.modules`): imported first from deep inside a test module's collection it took ~1 CPU-s
per test process, imported when collection starts, a fraction of that. Not at this module's
import: under `-n 2` the controlling process loads this file too but collects nothing, and mesa
(with numpy, pandas, scipy.spatial, networkx) would cost it ~1 CPU-s for no test.
"""

import pytest


def pytest_collectstart(collector: pytest.Collector) -> None:
    """Before the first test module is imported (in each process that collects)."""
    import mesa  # noqa: F401
