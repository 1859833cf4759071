"""HTTP API of the scoring service: one router per resource."""

from fastapi import APIRouter

routers: list[APIRouter] = []
