"""The gateway's hot path as a lean route (hubkit.lean): a plain ASGI handler behind the request guard (token,
access rule, NUL checks, rate, body limit) and the audit trail, past FastAPI's routing and dependency solving.
It builds the call from the ASGI scope and hands it to `service.gateway_calls`, as the documented route in `gateway`
does from a Request."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from hubkit.guard import Receive, Scope, Send
from hubkit.lean import LeanRoute

from exchange.service import gateway_calls
from exchange.service.admission import KEY_HEADER

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_KEY = KEY_HEADER.lower()


class _Gone(Exception):
    """The client went away before its body arrived: nobody is left to answer."""


async def handle(scope: Scope, receive: Receive, send: Send, params: dict[str, str]) -> None:
    app = scope["app"]
    headers: dict[str, str] = {}
    for name, value in scope.get("headers", ()):
        headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))  # the first, as Starlette
    try:
        body = await _body(receive)
    except _Gone:
        return
    incoming = gateway_calls.Incoming(
        method=scope["method"], code=params["code"], path=params["path"],
        query=parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True),
        headers=headers, body=body, principal=scope.get("state", {}).get("principal"), key=headers.get(_KEY))
    answer = await gateway_calls.traced(app.state.gateway, app.state.host.pool, app.state.clock.now(), incoming)
    out = [(b"content-length", str(len(answer.body)).encode()), (b"x-hub-call-id", answer.call_id.encode())]
    if answer.content_type:
        out.append((b"content-type", answer.content_type.encode("latin-1")))
    await send({"type": "http.response.start", "status": answer.status, "headers": out})
    await send({"type": "http.response.body", "body": answer.body})


async def _body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise _Gone()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


ROUTE = LeanRoute("/gateway/{code}/{path:path}", re.compile(r"/gateway/(?P<code>[^/]+)/(?P<path>.*)", re.S),
                  METHODS, handle)
