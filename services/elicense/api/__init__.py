"""HTTP API of the elicense service: one router per resource."""

from fastapi import APIRouter

routers: list[APIRouter] = []
