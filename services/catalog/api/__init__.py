"""HTTP API of the catalog service: one router per resource."""

from fastapi import APIRouter

from catalog.api import code_lists, duplicates, freshness, open_data, portal, requirements, resources, reviews, units

routers: list[APIRouter] = [units.router, resources.router, reviews.router, requirements.router, freshness.router,
                            open_data.router, code_lists.router, duplicates.router, portal.router]
