"""The sweep explorer page: the sweeps saved under the results folder, as charts.

`page` (the Solara components) on top of plain Python: `data` (finding and reading sweep
folders, aggregating their runs) and `plots` (the charts, as PNG bytes).
"""
