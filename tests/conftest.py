"""Shared by every test file.

Mesa names its loggers from `inspect.stack()` when it is first imported, and that call costs in
proportion to the stack's depth times the modules already loaded (each frame looks its module up
in `sys.modules`): imported first from deep inside a test module's collection it took ~1 CPU-s
per test process, imported here, before the test modules, a fraction of that.
"""

import mesa  # noqa: F401
