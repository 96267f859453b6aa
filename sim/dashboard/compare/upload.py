"""Upload a scenario file: drag it onto the drop zone, or click to choose it.

`solara.FileDrop` only takes files dragged onto it (it has no file chooser), which many people
never think of doing, so a chooser (`ipyvuetify.extra.FileInput`, a real ``<input
type="file">``) sits next to it. Both hand the file's name and at most `MAX_UPLOAD_BYTES` + 1
bytes to ``on_upload(name, data, size)``; nothing bigger is ever read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import solara
import traitlets
from ipyvuetify.extra import FileInput

from sim.dashboard.compare.scenarios import MAX_UPLOAD_BYTES

OnUpload = Callable[[str, bytes, int], None]


def labelled_file_input(label: str) -> type[FileInput]:
    """ipyvuetify's file chooser with a label that says what it is for."""

    class Labelled(FileInput):
        template = traitlets.Unicode(
            FileInput.class_traits()["template"].default_value.replace(
                "<v-file-input", f'<v-file-input label="{label}" prepend-icon="mdi-upload"', 1
            )
        ).tag(sync=True)

    return Labelled


ScenarioFileInput = labelled_file_input("Choose a scenario file (.toml)")


def read_capped(info: dict[str, Any], limit: int = MAX_UPLOAD_BYTES) -> tuple[str, bytes, int]:
    """(name, data, size) of an uploaded file; no data when it is over `limit` bytes."""
    name, size = str(info.get("name") or "upload.toml"), int(info.get("size") or 0)
    if size > limit:
        return name, b"", size
    data = info.get("data")
    if data is None:
        data = info["file_obj"].read(limit + 1)
    return name, bytes(data), max(size, len(data))


@solara.component
def FileChooser(
    on_file: Callable[[dict[str, Any]], None],
    accept: str = "",
    widget: type[FileInput] = ScenarioFileInput,
    css_class: str = "compare-file-chooser",
):
    """A file chooser (click, pick one file); calls ``on_file(info)`` in a thread, like
    `solara.FileDrop` (whose wiring this follows), then clears itself so that the same file
    can be chosen again."""
    file_info, set_file_info = solara.use_state(None)
    wired, set_wired = solara.use_state(None)
    element = widget.element(
        multiple=False,
        accept=accept,
        show_progress=False,
        on_file_info=set_file_info,
        class_=css_class,
    )

    def wire():  # the widget is reachable here, not in a thread
        if not file_info:
            return
        real: Any = solara.get_widget(element)
        real.version += 1  # reacton clears the widget's own @observe("file_info")
        real.reset_stats()
        set_wired((real, real.get_files()))

    solara.use_effect(wire, [file_info])

    def handle(cancel: threading.Event):
        if not wired:
            return
        real, files = wired
        if files and not cancel.is_set():
            try:
                on_file(files[0])
            finally:
                real.clear()

    result = solara.use_thread(handle, [wired])
    if result.error:
        raise result.error
    return element


@solara.component
def ScenarioUpload(on_upload: OnUpload, disabled: bool = False):
    def on_file(info: dict[str, Any]) -> None:
        on_upload(*read_capped(info))

    cap = f"{MAX_UPLOAD_BYTES // 1000} kB"
    if disabled:
        solara.Text(
            "Four scenarios chosen: remove one to upload another.",
            style={"font-size": "14px", "color": "#555"},
        )
        return
    with solara.Row(
        style={"gap": "16px", "align-items": "center", "flex-wrap": "wrap"},
        classes=["compare-upload"],
    ):
        with solara.Column(gap="0px", style={"flex": "1 1 320px"}, classes=["compare-drop"]):
            solara.FileDrop(
                label=f"Drop a scenario file (.toml, up to {cap}) here",
                on_file=on_file,
                lazy=True,
            )
        solara.Text("or", style={"font-size": "15px"})
        with solara.Column(gap="0px", style={"flex": "1 1 300px", "min-width": "260px"}):
            FileChooser(on_file, accept=".toml,text/plain")
