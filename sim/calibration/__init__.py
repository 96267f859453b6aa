"""An "as is" scenario from a ticket export, and how well it reproduces the organisation.

One module, one job, in the order of the pipeline:

- `mapping`: which column holds what, and the states that mean something to the customer;
- `readers`: CSV or XES (gzip too) into one canonical event table, with one-line errors;
- `workweek`: the working week seen in a log, and working-time arithmetic;
- `cases`: the log taken apart into events, team visits and cases (touch, waits, routes);
- `discovery`: the scenario's numbers, each with what it was measured from;
- `writer`: the scenario file, with comments, validated like every scenario;
- `distances`: the distances of the process-simulation literature (pure functions);
- `fidelity`: the held-out test against a naive baseline and the noise floor;
- `report`: the fidelity as one self-contained HTML file;
- `pipeline`: `calibrate(path, mapping)`, the whole way from a file to a `Calibrated`.
"""

from sim.calibration.mapping import LogError, LogMapping, load_mapping
from sim.calibration.pipeline import Calibrated, calibrate

__all__ = ["Calibrated", "LogError", "LogMapping", "calibrate", "load_mapping"]
