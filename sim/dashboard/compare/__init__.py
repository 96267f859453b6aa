"""The leadership comparison page: two to four scenarios, replications in the background, and
the results with their uncertainty.

`page` (the Solara components: scenarios, the run panel) and `results` (the results view) on
top of plain Python: `scenarios` (presets, uploads, the leader's form), `run` (the background
runner and its figures) and `upload` (the capped file input).
"""
