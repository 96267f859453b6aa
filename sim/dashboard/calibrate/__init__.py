"""Page 4 — Calibrate (leadership): an "as is" scenario from the organisation's own ticket
export, its fidelity on held-out cases, and the way on to the comparison.

- `log`: the uploaded export, bounded, and the mapping the page proposes (no Solara);
- `work`: discovery and the fidelity check in the background, behind the server's slots;
- `page`: the page.
"""
