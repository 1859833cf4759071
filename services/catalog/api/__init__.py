"""HTTP API of the catalog service: one router per resource."""

from fastapi import APIRouter

from catalog.api import units

routers: list[APIRouter] = [units.router]
