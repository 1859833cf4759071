"""HTTP API of the exchange service: one router per resource."""

from fastapi import APIRouter

routers: list[APIRouter] = []
