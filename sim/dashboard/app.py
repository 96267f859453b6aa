"""The Solara app: ``solara run sim.dashboard.app`` (or ``sim dashboard``, which also makes sure
the front end is available offline). Four pages: the classroom for trainers, the leadership
comparison and the calibration of an "as is" from a ticket export, and the sweep explorer
for researchers.

Nothing here holds a model: Solara imports this module once per server, and anything created at
module level would be shared by every browser. Pages create their models in component state.
"""

import reacton.ipyvuetify as rv
import solara
import solara.server.settings

from sim.dashboard.boundary import guarded
from sim.dashboard.calibrate import page as calibrate
from sim.dashboard.classroom import page as classroom
from sim.dashboard.compare import page as compare
from sim.dashboard.sweeps import page as sweeps

TITLE = "Silos or teams?"

solara.server.settings.theme.show_banner = False  # "This website runs on Solara" hid content
solara.server.settings.theme.title = TITLE
solara.server.settings.telemetry.mixpanel_enable = False


@solara.component
def Layout(children=[]):  # noqa: B006 - Solara's layout signature
    """A slim bar (title, one link per page) above the page: room for the content on a
    projector, where Solara's default two-row app bar took 112 pixels."""
    route, routes = solara.use_route()
    with solara.Column(gap="0px", style={"min-height": "100vh"}) as main:
        # A toolbar grows in a flex column (Vuetify: flex 1 1 auto): on a page shorter than
        # the window it filled the rest with dark blue. It keeps its own height; the page
        # below takes the room.
        with rv.AppBar(
            dense=True, dark=True, color="#123C5A", flat=True, app=False, style_="flex: 0 0 auto"
        ):
            rv.ToolbarTitle(children=[TITLE], style_="font-size: 20px; margin-right: 28px")
            for r in routes:
                with solara.Link(solara.resolve_path(r, level=0)):
                    solara.Button(
                        r.label,
                        text=True,
                        dark=True,
                        classes=["nav-current"] if r is route else [],
                        style={
                            "font-size": "15px",
                            "text-transform": "none",
                            "font-weight": "700" if r is route else "400",
                            "border-bottom": "3px solid #F0E442" if r is route else "none",
                            "border-radius": "0",
                        },
                    )
        solara.Column(children=children, style={"padding": "8px 12px", "flex": "1 1 auto"})
    return main


# Every page is guarded: what it raises is logged on the server and shown as one line.
routes = [
    solara.Route(path="/", component=guarded(classroom.Page), label="Classroom", layout=Layout),
    solara.Route(path="compare", component=guarded(compare.Page), label="Leadership comparison"),
    solara.Route(path="calibrate", component=guarded(calibrate.Page), label="Calibrate as is"),
    solara.Route(path="sweeps", component=guarded(sweeps.Page), label="Sweep explorer"),
]
