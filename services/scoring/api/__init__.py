"""HTTP API of the scoring service: one router per resource."""

from fastapi import APIRouter

from scoring.api import (
    alerts,
    appeals,
    bulletin,
    console,
    dashboard,
    findings,
    inventory,
    months,
    scores,
    submissions,
    todo,
    workspace,
)

routers: list[APIRouter] = [scores.router, findings.router, appeals.router, submissions.router, inventory.router,
                             months.router, bulletin.router, alerts.router, todo.router, console.router,
                             dashboard.router, dashboard.pages, workspace.pages]
