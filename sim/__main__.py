"""`python -m sim`: the same as the `sim` command."""

import sys

try:
    from sim.cli import main
except KeyboardInterrupt:  # Ctrl-C while importing: still one line, no traceback
    sys.stderr.write("sim: interrupted\n")
    sys.exit(130)

sys.exit(main())
