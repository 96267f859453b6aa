"""The comparison report: one self-contained HTML file, and the figures it shares with the
dashboard.

The package: `style` (colours, matplotlib style), `figures` (the comparison's figures),
`jcurve` (a reorganisation's J-curve as a figure) and `render` (the HTML file).
"""

from sim.report.render import render_report, write_report

__all__ = ["render_report", "write_report"]
