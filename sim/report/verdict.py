"""The verdict as HTML: one block the report and the leadership page both show.

It renders `sim.replications.verdict.Verdict` (the same object ``sim compare --json`` prints):
the overall answer first, or, for an organisation that cannot keep up, no answer but its
bottleneck and the people who would let it keep up; then the main reasons, the assumptions the
answer hinges on and the warnings.
"""

from __future__ import annotations

from sim.replications.verdict import Verdict
from sim.report.style import escape

VERDICT_CSS = """
.verdict { border-left: 6px solid #123C5A; background: #f3f7fa; padding: 10px 16px;
  margin: 8px 0 14px 0; max-width: 1100px; }
.verdict.none { border-left-color: #b34700; background: #fff5ec; }
.verdict p.answer { font-size: 18px; font-weight: 600; margin: 4px 0 8px 0; }
.verdict ul { margin: 4px 0 4px 18px; padding: 0; }
.verdict li { margin: 2px 0; }
.verdict .label { font-weight: 700; color: #123C5A; }
.verdict .warning { color: #8a3b00; }
"""


def _items(lines: list[str], css: str = "") -> str:
    cls = f" class='{css}'" if css else ""
    return "<ul>" + "".join(f"<li{cls}>{escape(line)}</li>" for line in lines) + "</ul>"


def verdict_html(verdict: Verdict) -> str:
    """The verdict block (see the module docstring); its text is the JSON's, word for word."""
    parts = []
    if verdict.sentence is None:
        parts.append("<div class='verdict none'>")
        if verdict.bottlenecks:
            parts.append(
                "<p class='answer'>No verdict: an organisation that cannot keep up has no "
                "steady numbers to compare.</p>"
            )
            parts.append(_items([b.sentence() for b in verdict.bottlenecks]))
        else:
            parts.append("<p class='answer'>No verdict: only one scenario.</p>")
    else:
        parts.append("<div class='verdict'>")
        parts.append(f"<p class='answer'>{escape(verdict.sentence)}</p>")
        if verdict.reasons:
            parts.append("<span class='label'>The main reasons</span>")
            parts.append(_items(verdict.reasons))
        if verdict.worlds is not None and verdict.worlds.hinges_on:
            w = verdict.worlds
            parts.append(
                "<span class='label'>It hinges on</span> (Spearman correlation with the "
                f"difference over {w.n} plausible worlds; below about {w.chance_rho:.2f} chance "
                "alone can explain it)"
            )
            first = verdict.headline[0] if verdict.headline else None
            rho = dict(w.influence.get(first, [])) if first else {}
            parts.append(
                _items(
                    [
                        f"{path} (rho {rho[path]:+.2f} on {first})" if path in rho else path
                        for path in w.hinges_on
                    ]
                )
            )
    if verdict.warnings:
        parts.append("<span class='label'>Warnings</span>")
        parts.append(_items(verdict.warnings, "warning"))
    parts.append("</div>")
    return "".join(parts)
