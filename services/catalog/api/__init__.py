"""HTTP API of the catalog service: one router per resource."""

from fastapi import APIRouter

routers: list[APIRouter] = []
