"""Who may talk to the dashboard's server: an ASGI middleware in front of Solara's app.

Binding to 127.0.0.1 keeps other machines out, but not other web sites: a page from anywhere,
open in the user's own browser, can open a websocket to ``ws://127.0.0.1:PORT`` (browsers do not
apply the same-origin policy to websockets), and a name that an attacker points at 127.0.0.1
after the page loaded (DNS rebinding) makes even plain requests "same-origin". Solara checks
neither, so `Guard` does, on every HTTP request and websocket upgrade:

- the ``Host`` header must name this server: the address it was started on, or a loopback name
  (127.0.0.1, localhost, [::1]), with its port; or a name allowed with ``--allow-host``.
  Listening on every interface (``--host 0.0.0.0``, a classroom) it also answers to this
  machine's names and to any IP address on its port: a rebound name is a name, so an address
  in Host cannot come from DNS rebinding;
- an ``Origin`` header, when there is one (browsers send it with every websocket and every
  cross-origin fetch), must be the request's own Host (the page came from this server) or one
  of the names above;
- a browser's fetch metadata (``Sec-Fetch-Site``) must not say "another site", except for
  following a link to the dashboard: a plain GET from another site's ``<img>``, ``<script>``
  or no-cors fetch carries no Origin.

Anything else gets ``403 Forbidden`` with one line saying what to do. A request with none of
these headers is not from a web page (curl, a script on this machine), so it only needs a good
Host.

It also caps the pages (Solara kernels: one per open browser tab, each holding its own models)
that one client address may keep: a tab that vanished without saying goodbye keeps its kernel
until Solara culls it (`sim.dashboard.serve` sets 10 minutes), so a client that keeps opening
pages would otherwise fill the memory. Past the cap, the client's oldest page nobody is looking
at is closed; if all are in use, its oldest page.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARDS = ("0.0.0.0", "::", "")
PAGES_PER_CLIENT = 10
"""Default cap on the pages one client address keeps open (``--pages-per-client``)."""
KERNEL_SOCKET = re.compile(r"^/jupyter/api/kernels/(?P<kernel>[^/]+)/[^/]+$")
"""Solara's websocket route: one kernel (a page's server-side state) per id."""
STARTING_S = 60.0
"""A page let in this recently whose kernel Solara has not created yet still counts."""

log = logging.getLogger("sim.dashboard")


@dataclass(frozen=True)
class Allowed:
    """A host name and the port it may be reached on (None: any port)."""

    name: str
    port: int | None

    def admits(self, name: str, port: int) -> bool:
        return name == self.name and (self.port is None or port == self.port)


def _address(text: str, default_port: int) -> tuple[str, int] | None:
    """(host name, port) of a Host header or an ``--allow-host`` value (None: malformed)."""
    try:
        parts = urlsplit("//" + text.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.username is not None or parts.path or parts.query:
        return None
    return parts.hostname.rstrip("."), default_port if port is None else port


def parse_allowed_host(text: str) -> Allowed:
    """``NAME`` (any port) or ``NAME:PORT`` (IPv6 in brackets), as ``--allow-host`` takes it;
    ValueError if it is neither."""
    found = _address(text, 0)
    if found is None:
        raise ValueError(f"{text!r} is not a host name (allowed: NAME or NAME:PORT)")
    name, port = found
    with_port = ":" in text.rsplit("]", 1)[-1]
    return Allowed(name, port if with_port else None)


def own_names(host: str) -> set[str]:
    """The names a server listening on `host` answers to: the loopback names, `host` itself,
    and, listening on every interface (0.0.0.0), this machine's names (its addresses are
    admitted as addresses, see `Guard.admits`)."""
    names = {*LOOPBACK_NAMES}
    if host not in WILDCARDS:
        names.add(host.strip("[]").lower())
        return names
    return names | {socket.gethostname().lower(), socket.getfqdn().lower()}


class _Page(NamedTuple):
    client: str
    """The client address that opened it."""
    opened: float
    """`time.monotonic` when it was let in."""
    seen: bool
    """Solara has created its kernel (until then it is starting)."""


class Guard:
    """ASGI middleware: refuses foreign Host and Origin headers with 403, caps pages per client.

    `host` and `port` are where the server listens; `allow` the ``--allow-host`` values."""

    def __init__(
        self,
        app,
        host: str,
        port: int,
        allow: Iterable[str] = (),
        pages_per_client: int = PAGES_PER_CLIENT,
    ) -> None:
        self.app = app
        self.allowed = (
            *(Allowed(name, port) for name in sorted(own_names(host))),
            *(parse_allowed_host(text) for text in allow),
        )
        self.everywhere = host in WILDCARDS
        self.port = port
        shown = "127.0.0.1" if self.everywhere else host
        self.address = f"http://{f'[{shown}]' if ':' in shown else shown}:{port}/"
        self.pages_per_client = pages_per_client
        self._owners: dict[str, _Page] = {}
        """The pages let in, by kernel id, oldest first."""
        self._warned: set[str] = set()

    # ----------------------------------------------------------------------------------------
    # Host and Origin

    def named(self, name: str, port: int) -> bool:
        """One of this server's names (or an ``--allow-host`` one) on a port it allows."""
        return any(a.admits(name.lower(), port) for a in self.allowed)

    def admits(self, name: str, port: int) -> bool:
        """A Host this server answers to: one of its names or, listening on every interface,
        any IP address on its port (DNS rebinding needs a name, never an address)."""
        return self.named(name, port) or (
            self.everywhere and port == self.port and _is_address(name)
        )

    def refusal(self, headers: Mapping[str, str]) -> str | None:
        """Why a request with these headers (lower-case names) is refused (None: it is not)."""
        host, origin = headers.get("host"), headers.get("origin")
        found = _address(host, 80) if host else None
        if found is None or not self.admits(*found):
            hint = (
                f"; to allow it, start sim dashboard with --allow-host {found[0]}" if found else ""
            )
            return self._refused("Host", host, hint)
        if origin is not None:
            parts = urlsplit(origin)
            try:
                port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
            except ValueError:
                port = 0
            name = parts.hostname or ""
            # The page came from this server, under the address it asks for, or by a name.
            own = bool(name) and ((name, port) == found or self.named(name, port))
            if parts.scheme not in ("http", "https") or not own:
                return self._refused("Origin", origin, "; a page from another site may not use it")
        site = headers.get("sec-fetch-site", "same-origin")
        opened = headers.get("sec-fetch-mode") == "navigate" and headers.get("sec-fetch-dest") in (
            "document",
            None,
        )
        if site in ("cross-site", "same-site") and not opened:
            # No Origin on a plain GET from another site's <img>, <script> or no-cors fetch: the
            # browser's fetch metadata tells. Following a link here (navigate) is fine.
            return self._refused("Sec-Fetch-Site", site, "; only this dashboard's own pages may")
        return None

    def _refused(self, header: str, value: str | None, hint: str) -> str:
        return (
            f"403 Forbidden: this dashboard answers only to its own address ({self.address}); "
            f"{header} {value!r} is not allowed{hint}\n"
        )

    # ----------------------------------------------------------------------------------------
    # Pages per client

    def _make_room(self, client: str, kernel: str) -> tuple[list, bool]:
        """Let a new page of `client` in: the kernels to close to keep within the cap, and
        whether it may open (not when the client's other pages are all still starting)."""
        live, now = _kernels(), time.monotonic()
        self._owners = {  # gone once Solara closed them, unless still starting
            k: _Page(c, t, seen or k in live)
            for k, (c, t, seen) in self._owners.items()
            if k in live or (not seen and now - t < STARTING_S)
        }
        mine = [k for k, page in self._owners.items() if page.client == client]
        extra = len(mine) + 1 - self.pages_per_client
        closable = [k for k in mine if k in live]
        idle = [k for k in closable if not _in_use(live[k])]
        chosen = (idle + [k for k in closable if k not in idle])[: max(extra, 0)]
        if len(chosen) < extra:
            return [], False
        if chosen and client not in self._warned:
            self._warned.add(client)
            log.warning(
                "%s keeps more than %d pages open: closing its oldest (said once per client)",
                client,
                self.pages_per_client,
            )
        for k in chosen:
            del self._owners[k]
        self._owners[kernel] = _Page(client, now, False)
        return [live[k] for k in chosen], True

    # ----------------------------------------------------------------------------------------
    # ASGI

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)  # lifespan
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        problem = self.refusal(headers)
        if problem is None and scope["type"] == "websocket":
            problem = await self._admit_page(scope)
        if problem is not None:
            await _forbid(scope, receive, send, problem)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "websocket":
                self._socket_ended(scope)

    def _socket_ended(self, scope) -> None:
        """A page's socket closed: it is no longer starting. Its kernel counts while Solara
        keeps it (a tab may come back) and not after: a page whose kernel Solara created and
        closed between two admissions (a tab navigated away) counted as starting for
        `STARTING_S`, so a client opening pages quickly was refused its next one."""
        match = KERNEL_SOCKET.match(scope.get("path", ""))
        kernel = match["kernel"] if match else ""
        if (page := self._owners.get(kernel)) is not None:
            self._owners[kernel] = page._replace(seen=True)

    async def _admit_page(self, scope) -> str | None:
        """A websocket that opens a new kernel: make room for it (None), or why it may not."""
        match = KERNEL_SOCKET.match(scope.get("path", ""))
        if match is None or match["kernel"] in _kernels():
            return None  # not a kernel, or a page reconnecting to its own
        client = (scope.get("client") or ("unknown",))[0]
        closing, admitted = self._make_room(client, match["kernel"])
        for context in closing:
            await asyncio.to_thread(context.close, reason="page cap")  # it waits for its lock
        if admitted:
            return None
        return (
            f"403 Forbidden: {client} is opening more than {self.pages_per_client} pages at "
            "once; wait for them, or close some\n"
        )


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _kernels() -> dict:
    """Solara's live kernels by id (one per open page, until closed or culled)."""
    from solara.server import kernel_context

    return kernel_context.contexts


def _in_use(context) -> bool:
    from solara.server.kernel_context import PageStatus

    return PageStatus.CONNECTED in context.page_status.values()


async def _forbid(scope, receive, send, text: str) -> None:
    body = text.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", b"%d" % len(body)),
    ]
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 403, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    await receive()  # websocket.connect
    # Closed before accepting: the server answers the handshake with 403 (no text: a browser
    # would not show it, and uvicorn logs an error for every handshake answered with a body).
    await send({"type": "websocket.close", "code": 1008})
