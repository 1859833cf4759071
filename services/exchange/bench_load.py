"""The gateway benchmark's other processes: a provider system that is never the bottleneck, and a load
generator that costs far less than what it measures. Each runs in a process of its own, so that neither
takes the gateway's event loop (the gateway's own processes are the exchange service, `python -m exchange`).

    python -m exchange.bench_load provider PORT
    HUB_BENCH_HEADERS='{"Authorization": "Bearer …"}' python -m exchange.bench_load drive URL PATH --calls N \
        --concurrency C [--rate R]           (headers by environment: a token never on a command line)

`drive` prints one JSON line: seconds, calls answered 200, achieved calls/s and latency p50/p99 in ms. Without
`--rate` it is a closed loop (each connection sends its next call when the last is answered: the most the
target serves); with `--rate` an open loop: call i is due at i/R seconds, and its latency counts from when it
was due, so a target that falls behind shows it in its latency (no coordinated omission).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import time
from typing import Any

import orjson

_BODY = b'{"name":"\xe5\x8d\x97\xe5\xae\x81\xe6\x9f\x90\xe5\x85\xac\xe5\x8f\xb8","status":"ok"}'
_RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
             + str(len(_BODY)).encode() + b"\r\nConnection: keep-alive\r\n\r\n" + _BODY)
_FAILURE = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"


async def _serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, fail_every: int = 0) -> None:
    """A minimal keep-alive HTTP/1.1 responder: read the head (and a Content-Length body), answer 200 (or, with
    `fail_every` n, 503 to every n-th call on the connection: a provider that fails now and then)."""
    answered = 0
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:].strip() or 0)
            if length:
                await reader.readexactly(length)
            answered += 1
            writer.write(_FAILURE if fail_every and answered % fail_every == 0 else _RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def provide(port: int, until: float, fail_every: int = 0) -> None:
    """A provider system on 127.0.0.1:port for `until` seconds at most (a benchmark stops by itself)."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _serve_connection(reader, writer, fail_every)

    server = await asyncio.start_server(serve, "127.0.0.1", port)
    async with server:
        await asyncio.sleep(until)


class Connection:
    """One keep-alive HTTP/1.1 client connection."""

    def __init__(self, base_url: str) -> None:
        self.host, _, port = base_url.removeprefix("http://").partition(":")
        self.port = int(port)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, headers: dict[str, str]) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        self.writer.write(head.encode())
        answer = await self.reader.readuntil(b"\r\n\r\n")
        status = int(answer.split(b" ", 2)[1])
        length = next((int(line[15:]) for line in answer.split(b"\r\n") if line[:15].lower() == b"content-length:"),
                      0)
        await self.reader.readexactly(length)
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()


def _summary(seconds: float, statuses: list[int], latencies: list[float]) -> dict[str, Any]:
    ok = sum(s == 200 for s in statuses)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    return {"seconds": round(seconds, 3), "calls": len(statuses), "ok": ok, "calls_per_s": round(ok / seconds, 1),
            "p50_ms": round(cuts[49] * 1000, 2), "p99_ms": round(cuts[98] * 1000, 2)}


async def closed_loop(base_url: str, path: str, calls: int, concurrency: int, headers: dict[str, str]
                      ) -> dict[str, Any]:
    remaining, statuses, latencies = calls, [], []

    async def worker() -> None:
        nonlocal remaining
        conn = Connection(base_url)
        try:
            while remaining > 0:
                remaining -= 1
                sent = time.perf_counter()
                statuses.append(await conn.get(path, headers))
                latencies.append(time.perf_counter() - sent)
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, calls))))
    return _summary(time.perf_counter() - started, statuses, latencies)


async def open_loop(base_url: str, path: str, calls: int, concurrency: int, rate: float, headers: dict[str, str]
                    ) -> dict[str, Any]:
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(concurrency):
        idle.put_nowait(Connection(base_url))
    statuses: list[int] = []
    latencies: list[float] = []

    async def one(due: float) -> None:
        conn = await idle.get()
        try:
            statuses.append(await conn.get(path, headers))
        finally:
            idle.put_nowait(conn)
        latencies.append(time.perf_counter() - due)

    started = time.perf_counter()
    tasks = []
    for i in range(calls):
        due = started + i / rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(due)))
    await asyncio.gather(*tasks)
    seconds = time.perf_counter() - started
    while not idle.empty():
        await idle.get_nowait().close()
    return _summary(seconds, statuses, latencies)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("provider")
    p.add_argument("port", type=int)
    p.add_argument("--for-seconds", type=float, default=1800.0)
    p.add_argument("--fail-every", type=int, default=0, help="answer 503 to every n-th call of a connection")
    d = sub.add_parser("drive")
    d.add_argument("url")
    d.add_argument("path")
    d.add_argument("--calls", type=int, required=True)
    d.add_argument("--concurrency", type=int, default=16)
    d.add_argument("--rate", type=float)
    args = parser.parse_args(argv)
    if args.what == "provider":
        asyncio.run(provide(args.port, args.for_seconds, args.fail_every))
        return
    headers = orjson.loads(os.environ.get("HUB_BENCH_HEADERS", "{}"))
    if args.rate:
        result = asyncio.run(open_loop(args.url, args.path, args.calls, args.concurrency, args.rate, headers))
    else:
        result = asyncio.run(closed_loop(args.url, args.path, args.calls, args.concurrency, headers))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
