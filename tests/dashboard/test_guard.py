"""The dashboard trusts no foreign Host or Origin, and bounds the pages one client keeps.

Against the real server (``sim dashboard``), with raw HTTP and websocket requests as an
attacker's script would send them, and in headless Chromium with a page served from another
site and a name rebound to 127.0.0.1 (DNS rebinding), as the reliability review did.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import http.server
import json
import socket
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, dashboard_server
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

pytestmark = pytest.mark.slow  # each test starts a dashboard server

PAGES = 3
"""--pages-per-client of the server under test."""


@pytest.fixture(scope="module")
def served():
    """(url, port) of a dashboard that also answers to proxy.example (any port)."""
    options = ("--allow-host", "proxy.example", "--pages-per-client", str(PAGES))
    with dashboard_server(*options) as url:
        yield url, urlsplit(url).port


def get(port: int, host: str, origin: str | None = None) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": host} | ({"Origin": origin} if origin else {})
    try:
        connection.request("GET", "/", headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read().decode(errors="replace")
    finally:
        connection.close()


def kernel_socket(port: int) -> str:
    return f"ws://127.0.0.1:{port}/jupyter/api/kernels/{uuid.uuid4()}/channels?session_id=s"


def test_a_foreign_host_header_is_refused(served):
    """DNS rebinding: evil.example resolved to 127.0.0.1 sends `Host: evil.example`."""
    url, port = served
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1:{port + 1}", "127.0.0.1"):
        status, text = get(port, host)
        assert status == 403, host
        assert text.startswith(
            f"403 Forbidden: this dashboard answers only to its own address ({url})"
        )
    assert "start sim dashboard with --allow-host evil.example" in get(port, "evil.example")[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "proxy.example"):
        assert get(port, host)[0] == 200, host


def test_a_request_from_another_site_is_refused(served):
    _, port = served
    for origin in ("http://evil.example", f"http://evil.example:{port}", "null", "file://"):
        assert get(port, f"127.0.0.1:{port}", origin)[0] == 403, origin
    for origin in (f"http://127.0.0.1:{port}", f"http://localhost:{port}", "https://proxy.example"):
        assert get(port, f"127.0.0.1:{port}", origin)[0] == 200, origin


def test_a_websocket_from_another_site_is_refused(served):
    """The review's attack: Solara's kernel websocket opened with a foreign Origin."""
    url, port = served
    with pytest.raises(InvalidStatus) as refused:
        connect(kernel_socket(port), additional_headers={"Origin": "http://evil.example"})
    assert refused.value.response.status_code == 403
    with connect(kernel_socket(port), additional_headers={"Origin": url.rstrip("/")}) as ws:
        assert ws.protocol.state.name == "OPEN"  # the page's own origin is welcome


def test_every_interface_answers_to_addresses_but_not_to_names():
    """``--host 0.0.0.0`` (a classroom): students type the machine's address, which a rebound
    name can never be; a page keeps to the address it came from."""
    with dashboard_server("--host", "0.0.0.0") as url:
        port = urlsplit(url).port
        lan = f"192.0.2.77:{port}"  # an address of this machine, as a student's browser sends it
        assert get(port, lan)[0] == 200
        assert get(port, lan, f"http://{lan}")[0] == 200
        assert get(port, lan, f"http://192.0.2.78:{port}")[0] == 403  # a page from elsewhere
        assert get(port, f"evil.example:{port}")[0] == 403
        assert get(port, f"127.0.0.1:{port}", f"http://{lan}")[0] == 403
        with connect(
            f"ws://{lan}/jupyter/api/kernels/{uuid.uuid4()}/channels?session_id=s",
            sock=socket.create_connection(("127.0.0.1", port)),
            additional_headers={"Origin": f"http://{lan}"},
        ) as ws:
            assert ws.protocol.state.name == "OPEN"


def kernels(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/resourcez", timeout=30) as answer:
        return json.load(answer)["kernels"]["total"]


def wait_for_kernels(port: int, count: int, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while (found := kernels(port)) != count and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def test_a_client_keeps_at_most_its_cap_of_pages(served):
    """Pages opened and abandoned (no goodbye: the kernel stays for Solara's cull) or kept
    open: the server holds at most PAGES kernels for one client, closing the oldest."""
    url, port = served
    start = kernels(port)
    assert start <= PAGES
    origin = {"Origin": url.rstrip("/")}
    for _ in range(2 * PAGES):  # abandoned pages
        with connect(kernel_socket(port), additional_headers=origin):
            pass
        assert wait_for_kernels(port, PAGES) <= PAGES
    with contextlib.ExitStack() as pages:
        opened = []
        for _ in range(PAGES + 2):  # pages in use
            opened.append(
                pages.enter_context(connect(kernel_socket(port), additional_headers=origin))
            )
            time.sleep(0.5)
        assert wait_for_kernels(port, PAGES) == PAGES
        for oldest in opened[:2]:  # the oldest two were closed to make room
            with pytest.raises(ConnectionClosed):
                oldest.recv(timeout=30)


PROBE = """
window.result = {opened: false, closed: false};
const ws = new WebSocket("ws://127.0.0.1:PORT/jupyter/api/kernels/KERNEL/channels?session_id=x");
ws.onopen = () => { window.result.opened = true; };
ws.onclose = () => { window.result.closed = true; };
"""
"""A script that tries to open a kernel websocket of the dashboard at PORT."""
ATTACK = f"""<!doctype html><title>a page from another site</title><script>{PROBE}
fetch("http://127.0.0.1:PORT/", {{mode: "no-cors"}}).catch(() => {{}});
</script>"""


def probe(port: int, script: str = PROBE) -> str:
    return script.replace("PORT", str(port)).replace("KERNEL", str(uuid.uuid4()))


@pytest.fixture
def other_site(tmp_path):
    """A web site on another port, its page trying the dashboard at `PORT`."""

    def serve(port: int) -> str:
        (tmp_path / "attack.html").write_text(probe(port, ATTACK))
        handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=tmp_path)  # noqa: E731
        site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=site.serve_forever, daemon=True).start()
        servers.append(site)
        return f"http://evil.example:{site.server_address[1]}/attack.html"

    servers: list[http.server.ThreadingHTTPServer] = []
    yield serve
    for site in servers:
        site.shutdown()


@pytest.mark.e2e
def test_in_chromium_another_site_cannot_use_the_dashboard(playwright, served, other_site, shots):
    """evil.example resolves to 127.0.0.1 (Chromium's host rules stand in for DNS): its page
    cannot open the kernel websocket or get an answer, and the dashboard under that name (DNS
    rebinding) is refused. The same script from the dashboard's own page does connect."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: run .ci/install-browser")
    url, port = served
    rules = "--host-resolver-rules=MAP evil.example 127.0.0.1"
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, rules])
    try:
        page = browser.new_page()
        statuses: dict[str, int] = {}
        page.on("response", lambda r: statuses.setdefault(r.url, r.status))
        page.goto(other_site(port))
        page.wait_for_function("window.result.closed", timeout=30_000)
        assert page.evaluate("window.result.opened") is False
        page.wait_for_timeout(500)
        assert statuses.get(url) == 403, statuses  # the fetch reached the server: refused

        rebound = page.goto(f"http://evil.example:{port}/")
        assert rebound is not None and rebound.status == 403
        assert "answers only to its own address" in page.inner_text("body")
        page.screenshot(path=shots / "guard-rebinding-refused.png")

        page.goto(url + "readyz")  # the dashboard's own origin: the same script connects
        page.evaluate(probe(port))
        page.wait_for_function("window.result.opened", timeout=30_000)
    finally:
        browser.close()


def test_pages_that_came_and_went_do_not_hold_up_the_next():
    """A tab that navigates away closes its page: Solara closes the kernel at once. Such a page
    counted as still starting for a minute when the guard had not seen its kernel alive, so a
    client opening pages quickly (a user clicking through, the browser tests) was refused its
    next page past the cap, and its tab stayed on "Loading app". The guard here runs in front
    of an app that accepts each page's socket and closes it, leaving no kernel behind."""
    from sim.dashboard.guard import Guard

    async def app(scope, receive, send):
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 1000})

    guard = Guard(app, "127.0.0.1", 8765, pages_per_client=PAGES)

    async def open_page() -> str:
        sent: list[dict] = []

        async def receive():
            return {"type": "websocket.connect"}

        async def send(message):
            sent.append(message)

        scope = {
            "type": "websocket",
            "path": f"/jupyter/api/kernels/{uuid.uuid4()}/channels",
            "headers": [(b"host", b"127.0.0.1:8765"), (b"origin", b"http://127.0.0.1:8765")],
            "client": ("127.0.0.1", 50000),
        }
        await guard(scope, receive, send)
        return sent[0]["type"]

    # In a thread of its own: Playwright's tests leave an event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        answers = thread.submit(asyncio.run, _in_turn(open_page, 3 * PAGES)).result()
    assert answers == ["websocket.accept"] * (3 * PAGES)


async def _in_turn(step, times: int) -> list:
    return [await step() for _ in range(times)]
