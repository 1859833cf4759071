"""Serving a service's app over HTTP: one process, or several sharing one port (HUB_WORKERS)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from .runtime.ports import tcp_listener
from .settings import HubSettings


def serve(factory: Callable[[], FastAPI], settings: HubSettings) -> None:
    """Serve the app; with `settings.workers` > 1, that many processes share the port (each builds its own app
    from the factory, found by its import path, and reads the same environment)."""
    import uvicorn

    options: dict[str, Any] = {"host": settings.http_host, "port": settings.http_port, "log_level": "warning",
                               "access_log": False, "lifespan": "on"}
    if settings.workers > 1:
        from uvicorn.supervisors import Multiprocess

        config = uvicorn.Config(f"{factory.__module__}:{factory.__qualname__}", factory=True,
                                workers=settings.workers, **options)
        Multiprocess(config, sockets=[tcp_listener(settings.http_host, settings.http_port)]).run()
    else:
        uvicorn.run(factory(), **options)
