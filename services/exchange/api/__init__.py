"""HTTP API of the exchange service: one router per resource."""

from fastapi import APIRouter

from exchange.api import (
    calls,
    demands,
    disputes,
    files,
    gateway,
    request_form,
    requests,
    subscriptions,
    systems,
    tables,
    uses,
)

routers: list[APIRouter] = [requests.router, gateway.router, disputes.router, uses.router, calls.router,
                             subscriptions.router, systems.router, tables.router, files.router,
                             demands.router, request_form.router]
