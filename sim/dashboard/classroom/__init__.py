"""The classroom page: two organisations side by side, fed the same customers, played live.

`page` (the Solara components and the play loop) on top of plain Python with no Solara
import: `twin` (the two models stepped together, and what the views read), `charts` (the live
charts), `orgview` (the organisation as SVG) and `lessons` (the lesson files).
"""
