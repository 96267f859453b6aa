"""The organisation view: units as boxes, employees as dots, queues, handoffs in flight.

Each box shows its people, the requests waiting in its queue (blue blocks) and the requests in
transfer to it (purple blocks): handed off by another unit, not yet arrived, so nobody can
work on them. With costly handoffs that is where most customers are.

Units stand in one row; handoffs are arcs between them, as in an arc diagram: rightward
handoffs arch over the row, leftward ones under it, so no arrow crosses a unit and the
direction reads at a glance. An arc is as thick as its number of handoffs in the last working
hour, fades with age, and its dashes move with the simulation clock, so the flow is visible
while the classroom plays.

Drawn as an SVG string (a few hundred elements): the browser renders it, so a frame costs a
fraction of a millisecond here, against about 100 ms for a matplotlib figure.
"""

from __future__ import annotations

import math
from html import escape

from sim.dashboard.classroom.lineup import OrgView, UnitView
from sim.dashboard.palette import ACTIVITIES, HANDOFF, QUEUE

WIDTH = 600
HEIGHT = 300
BAND = 68
"""Room above and below the row of units for the handoff arcs."""
FONT = "Roboto, 'Helvetica Neue', Arial, sans-serif"
_GAP = 8
_HEADER = 24
_ROW = 30
"""A row of request blocks and its count: waiting, then in transfer."""


def layout(n: int) -> list[tuple[float, float, float, float]]:
    """Boxes (x, y, width, height) of n units in one row between the two arc bands."""
    w = (WIDTH - (n + 1) * _GAP) / max(n, 1)
    return [(_GAP + i * (w + _GAP), BAND, w, HEIGHT - 2 * BAND) for i in range(n)]


def org_svg(view: OrgView, time: float, side: str = "org") -> str:
    """The organisation at one moment, as an inline SVG that scales to its container.

    `side` makes the SVG's ids unique: two of them live in one page.
    """
    boxes = layout(len(view.units))
    out = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" class="org-svg" '
        f'aria-label="{escape(view.label)}: {len(view.units)} units" '
        f'style="font-family:{FONT};display:block" xmlns="http://www.w3.org/2000/svg">',
        f'<defs><marker id="arrow-{side}" viewBox="0 0 10 10" refX="7" refY="5" '
        f'markerWidth="3.2" markerHeight="3.2" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{HANDOFF}"/></marker></defs>',
    ]
    out += [_unit_svg(unit, box) for unit, box in zip(view.units, boxes, strict=True)]
    out += _flows_svg(view, boxes, time, side)
    out.append("</svg>")
    return "".join(out)


def _unit_svg(unit: UnitView, box: tuple[float, float, float, float]) -> str:
    x, y, w, h = box
    people = len(unit.activities)
    busy = people - unit.activities.count("idle")
    size = max(11.0, min(16.0, (w - 10) / (0.62 * max(len(unit.name), 1))))
    parts = [
        f'<g class="unit"><title>{escape(unit.name)}: {people} people, {busy} busy, '
        f"{unit.queue} requests waiting, {unit.arriving} in transfer to it</title>",
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="7" '
        f'fill="#F2F2F2" stroke="#666" stroke-width="1.5"/>',
        f'<text x="{x + w / 2:.1f}" y="{y + 18:.1f}" font-size="{size:.1f}" font-weight="700" '
        f'text-anchor="middle" fill="#111">{escape(_short(unit.name, w, size))}</text>',
    ]
    # Employees: one dot each, coloured by what they are doing.
    area_w, area_h = w - 10, h - _HEADER - 2 * _ROW
    pitch = _dot_pitch(people, area_w, area_h)
    per_row = max(1, int(area_w // pitch))
    rows = math.ceil(people / per_row)
    left = x + (w - min(people, per_row) * pitch) / 2
    top = y + _HEADER + (area_h - rows * pitch) / 2
    radius = pitch * 0.38
    for i, activity in enumerate(unit.activities):
        r, c = divmod(i, per_row)
        parts.append(mark(activity, left + pitch * (c + 0.5), top + pitch * (r + 0.5), radius))
    base = y + h - 2 * _ROW
    parts += _blocks(unit.queue, "waiting", "queue", QUEUE, "#1F5F8B", x, base, w)
    parts += _blocks(
        unit.arriving, "in transfer", "arriving", HANDOFF, "#7A3F66", x, base + _ROW, w
    )
    parts.append("</g>")
    return "".join(parts)


def _blocks(
    count: int, what: str, css: str, fill: str, stroke: str, x: float, y: float, w: float
) -> list[str]:
    """A row of up to as many blocks as fit (one per request), and the count under it."""
    fit = max(0, int((w - 12) // 7))
    shown = min(count, fit)
    left = x + 6 + (w - 12 - 7 * fit) / 2
    parts = [
        f'<rect x="{left + 7 * i:.1f}" y="{y + 2:.1f}" width="5" height="9" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="0.7"/>'
        for i in range(shown)
    ]
    colour = "#111" if count else "#888"
    parts.append(
        f'<text x="{x + w / 2:.1f}" y="{y + 25:.1f}" font-size="13" text-anchor="middle" '
        f'fill="{colour}" class="{css}">{count} {what}</text>'
    )
    return parts


def mark(activity: str, x: float, y: float, r: float) -> str:
    """One employee: fill and shape by activity (see `palette.ACTIVITIES`)."""
    fill, shape, _ = ACTIVITIES.get(activity, ACTIVITIES["working"])
    style = f'fill="{fill}" stroke="#222" stroke-width="1.3"'
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {style}/>'
    if shape == "square":
        h = r * 0.9
        box = f'x="{x - h:.1f}" y="{y - h:.1f}" width="{2 * h:.1f}" height="{2 * h:.1f}"'
        return f"<rect {box} {style}/>"
    d = r * 1.25
    corners: tuple[tuple[float, float], ...]
    if shape == "diamond":
        corners = ((x, y - d), (x + d, y), (x, y + d), (x - d, y))
    else:  # triangle
        corners = ((x, y - d), (x + d, y + 0.8 * d), (x - d, y + 0.8 * d))
    path = " L".join(f"{cx:.1f},{cy:.1f}" for cx, cy in corners)
    return f'<path d="M{path} z" {style}/>'


def _dot_pitch(n: int, w: float, h: float) -> float:
    for pitch in (24, 22, 20, 18, 16, 14, 12, 10, 8):
        per_row = max(1, int(w // pitch))
        if math.ceil(n / per_row) * pitch <= h:
            return pitch
    return 8


def _short(name: str, width: float, size: float) -> str:
    limit = max(3, int((width - 8) / (0.62 * size)))
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _flows_svg(view: OrgView, boxes, time: float, side: str) -> list[str]:
    arcs, labels = [], []
    offset = -(time * 40.0) % 16.0  # dashes travel from sender to receiver as time runs
    for source, target, count, fresh in sorted(view.flows, key=lambda f: f[2]):
        if not (0 <= source < len(boxes) and 0 <= target < len(boxes)) or source == target:
            continue
        a, b = boxes[source], boxes[target]
        rightward = target > source
        # Leave a unit right of its centre and arrive left of it: in- and out-going arcs of
        # one unit stay apart.
        sx = a[0] + a[2] * (0.62 if rightward else 0.38)
        ex = b[0] + b[2] * (0.38 if rightward else 0.62)
        span = abs(target - source)
        lift = min(BAND - 14, 16 + 18 * span)
        if rightward:
            y0, apex = a[1], a[1] - lift
        else:
            y0, apex = a[1] + a[3], a[1] + a[3] + lift
        # A quadratic curve reaches half way to its control point: double the lift.
        cy = 2 * apex - y0
        width = min(9.0, 2.5 + 1.6 * math.sqrt(count))
        opacity = 0.4 + 0.6 * fresh
        arcs.append(
            f'<path class="handoff" d="M{sx:.1f},{y0:.1f} Q{(sx + ex) / 2:.1f},{cy:.1f} '
            f'{ex:.1f},{y0:.1f}" fill="none" stroke="{HANDOFF}" stroke-width="{width:.1f}" '
            f'stroke-opacity="{opacity:.2f}" stroke-dasharray="10 6" '
            f'stroke-dashoffset="{offset:.1f}" marker-end="url(#arrow-{side})">'
            f"<title>{count} handoffs in the last working hour</title></path>"
        )
        mx = (sx + ex) / 2
        labels.append(
            f'<circle cx="{mx:.1f}" cy="{apex:.1f}" r="10" fill="#fff" stroke="{HANDOFF}" '
            f'stroke-width="2"/><text x="{mx:.1f}" y="{apex + 5:.1f}" font-size="13" '
            f'font-weight="700" text-anchor="middle" fill="#111">{count}</text>'
        )
    return arcs + labels
