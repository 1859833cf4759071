"""HTTP API of the elicense service: one router per resource."""

from fastapi import APIRouter

from elicense.api import (
    anomalies,
    authorisations,
    claims,
    imports,
    license_types,
    licenses,
    service_items,
    stats,
    uses,
)

# imports before licenses: POST /licenses/import must not be read as a license id
routers: list[APIRouter] = [license_types.router, claims.router, imports.router, licenses.router, uses.router,
                             authorisations.router, stats.router, anomalies.router, service_items.router]
