"""The demo's provider systems: what API resources are mounted at, failing at each provider's rate."""

from __future__ import annotations

import asyncio
import random
import threading
import time

import uvicorn
from hubkit.runtime.ports import free_port
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


class ProviderServers:
    """The provider systems behind API resources: one local HTTP server; each unit's path fails at its rate."""

    def __init__(self, failure: dict[str, float], seed: int, port: int | None = None) -> None:
        rng = random.Random(seed)

        async def answer(request: Request) -> Response:
            unit = request.path_params["unit"]
            if rng.random() < failure.get(unit, 0.0):
                return Response("provider system error", status_code=503)
            return JSONResponse({"unit": unit, "records": rng.randint(1, 50)})

        self.port = port or free_port()  # the port the hub's egress policy was told to allow
        app = Starlette(routes=[Route("/u/{unit}/{rest:path}", answer, methods=["GET", "POST"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    def __enter__(self) -> ProviderServers:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)

    def base_url(self, unit: str) -> str:
        return f"http://127.0.0.1:{self.port}/u/{unit}"
