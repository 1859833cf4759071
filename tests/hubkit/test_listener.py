"""The listening socket that several server processes share (HUB_WORKERS > 1) hands out connections with
TCP_NODELAY on: without it each answer on a kept-alive connection waited for the client's delayed ACK
(~40 ms on Linux), and two gateway workers served 270 calls/s where one served 1,100."""

from __future__ import annotations

import asyncio
import socket

import pytest
from hubkit.runtime.ports import tcp_listener


async def test_connections_accepted_on_the_shared_listener_send_at_once() -> None:
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Report(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    listener = tcp_listener("127.0.0.1", 0)
    assert listener.get_inheritable()  # the worker processes inherit it
    server = await asyncio.get_running_loop().create_server(Report, sock=listener)
    try:
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await asyncio.wait_for(accepted, 10) != 0
        writer.close()
    finally:
        server.close()
        await server.wait_closed()


def test_a_taken_port_is_refused_and_nothing_leaks() -> None:
    first = tcp_listener("127.0.0.1", 0)
    first.listen()
    try:
        try:
            tcp_listener("127.0.0.1", first.getsockname()[1])
        except OSError:
            pass
        else:
            raise AssertionError("bound a port another socket listens on")
    finally:
        first.close()


def test_several_workers_are_served_on_that_listener(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn.supervisors
    from hubkit.serving import serve
    from hubkit.settings import HubSettings

    handed: list[socket.socket] = []

    class Supervisor:
        def __init__(self, config: object, sockets: list[socket.socket]) -> None:
            handed.extend(sockets)

        def run(self) -> None:
            pass

    monkeypatch.setattr(uvicorn.supervisors, "Multiprocess", Supervisor)
    serve(lambda: None, HubSettings(workers=2, http_host="127.0.0.1", http_port=0))  # type: ignore[arg-type,return-value]
    try:
        assert len(handed) == 1 and handed[0].proto == socket.IPPROTO_TCP
    finally:
        for sock in handed:
            sock.close()
