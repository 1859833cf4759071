"""Composition root of the elicense service."""

from pathlib import Path

from fastapi import FastAPI
from hubkit.service import ServiceSpec, build_app

from .api import routers
from .api.licenses import holder_target
from .library import Library
from .messaging import consumers
from .settings import ElicenseSettings
from .storage import MIGRATIONS

ACCESS = Path(__file__).parent / "access.toml"  # who may call what (hubkit.access)
DESCRIPTION = ("E-license library: license types and claims, stock imports, pushes with files verified on ingest "
               "(PDF and OFD, unified e-seal), revocation, verification, uses, per-issuer statistics.")


def spec(settings: ElicenseSettings | None = None) -> ServiceSpec:
    settings = settings or ElicenseSettings()
    library = Library.from_settings(settings)

    def configure(app: FastAPI) -> None:
        app.state.library = library
        app.state.audit_target_of = holder_target(library)

    return ServiceSpec(
        access=ACCESS,
        name="elicense", settings=settings, migrations=MIGRATIONS, routers=routers,
        consumers=consumers, description=DESCRIPTION, configure=configure,
        # A push carries its file in base64 inside the JSON; a stock import streams JSON Lines.
        body_limits={"/licenses/import": 16 * 1024**3, "/licenses": 48 * 1024 * 1024},
        # A license's details and file carry its holder: each read is in the audit trail.
        audited_reads=[r"^/licenses/[^/]+$", r"^/licenses/[^/]+/file$", r"^/verify$"],
    )


def create_app(settings: ElicenseSettings | None = None) -> FastAPI:
    return build_app(spec(settings))
