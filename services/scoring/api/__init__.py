"""HTTP API of the scoring service: one router per resource."""

from fastapi import APIRouter

from scoring.api import alerts, console, findings, months, scores, submissions

routers: list[APIRouter] = [scores.router, findings.router, submissions.router, months.router, alerts.router,
                             console.router]
