"""Settings every service shares. Each service subclasses `HubSettings` and adds its own.

All names are read from the environment with the `HUB_` prefix (docker-compose.yml
sets exactly these; a test checks that). Unsafe defaults fail fast outside local use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from .oidc import OidcConfig

DEV_SECRET = "gov-hub-local-development-secret-change-me"


class HubSettings(BaseSettings):
    # A refused secret must never be echoed back in the error (pydantic shows inputs by default).
    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore", hide_input_in_errors=True)

    environment: Literal["local", "test", "production"] = Field(
        "local", description="local | test | production; anything else is refused, so a misspelt production "
        "never starts with development defaults")
    database_url: str = Field("postgresql://postgres@127.0.0.1:55432/hub", description="PostgreSQL DSN")
    kafka_bootstrap: str = Field("127.0.0.1:59092", description="Kafka bootstrap servers")
    kafka_idempotent: bool = Field(
        True,
        description="Idempotent producer (no duplicates or reordering from producer retries). `hub up` and the "
        "tests turn it off only on the Tansu fallback broker, which answers InitProducerId with an error.",
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="How clients authenticate to the broker (`hub up` and compose use SASL)")
    kafka_sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"] = Field("SCRAM-SHA-256")
    kafka_username: str | None = Field(None, description="This service's broker principal")
    kafka_password: SecretStr | None = Field(None, description="Its password (never logged)")
    kafka_max_message_bytes: int = Field(
        1024 * 1024, ge=1024, description="Larger messages are dead-lettered unread (the broker's default cap)")
    kafka_partitions: int = Field(6, ge=1, description="Partitions per topic, keyed by unit")
    jwt_secret: str = Field(DEV_SECRET, description="HS256 secret for bearer tokens")
    oidc_jwks_url: str | None = Field(
        None, description="JWKS URL of an OpenID Connect provider whose RS256/ES256 tokens are accepted beside the "
        "hub's own HS256 tokens (https in production)")
    oidc_issuer: str | None = Field(None, description="The `iss` its tokens must carry (required with the JWKS URL)")
    oidc_audience: str = Field("gov-hub", description="The `aud` its tokens must carry")
    oidc_role_claim: str = Field("hub_role", description="The claim that gives the hub role")
    oidc_unit_claim: str = Field("hub_unit", description="The claim that gives a department's unit (USCC)")
    http_host: str = Field("127.0.0.1")
    http_port: int = Field(8100)
    workers: int = Field(1, ge=1, le=32, description=(
        "Processes serving the one port (uvicorn workers): each is a full replica of the service, with its "
        "own consumers, relay and clock jobs, sharing nothing but PostgreSQL and the broker"))
    otel_endpoint: str | None = Field(None, description="OTLP/HTTP endpoint, e.g. http://otel-collector:4318")
    log_level: str = Field("INFO")
    log_json: bool = Field(True)
    simulated_clock: bool = Field(False, description="Start a simulated clock (demo, tests); never in production")
    simulated_start: str = Field("2019-08-01T00:00:00+08:00", description="Initial instant of a simulated clock")
    workday_schedule: str | None = Field(
        None, description="TOML file of official PRC holiday schedules for years the chinese-calendar package does "
        "not cover yet ([2027] holidays = [...], workdays = [...]); without one such a year is counted provisionally")
    egress_allow: str = Field(
        "", description="Comma-separated CIDRs, addresses or host names (each optionally :port) the gateway and "
        "webhooks may reach although they are not public (loopback, private, link-local are refused otherwise)")
    write_rates: dict[str, float] = Field(
        default_factory=lambda: {"department": 50.0, "inspector": 50.0, "auditor": 10.0, "service": 500.0},
        description="Writes a second per token, by role (bursts of 4x); a role not named, or 0, is not limited. "
        'JSON, e.g. {"department": 20}')
    gateway_rate: float = Field(1000.0, ge=0, description=(
        "Gateway calls a second per token and process (0: not limited); quotas are counted across processes"))
    max_json_bytes: int = Field(1024 * 1024, ge=1024, description="Largest JSON body a route accepts")
    max_body_bytes: int = Field(64 * 1024 * 1024, ge=1024, description="Largest other body (files, CSV)")
    outbox_batch: int = Field(500, ge=1)
    outbox_poll_seconds: float = Field(0.5, gt=0)
    outbox_retention_days: float = Field(
        7, ge=0, description="Sent outbox rows are kept this long, to re-seed a broker that lost its log")

    def oidc(self) -> OidcConfig:
        from .oidc import OidcConfig

        assert self.oidc_jwks_url and self.oidc_issuer
        return OidcConfig(self.oidc_jwks_url, self.oidc_issuer, self.oidc_audience, self.oidc_role_claim,
                          self.oidc_unit_claim)

    @model_validator(mode="after")
    def _secret_is_safe(self) -> HubSettings:
        if self.environment == "production" and (self.jwt_secret == DEV_SECRET or len(self.jwt_secret) < 32):
            raise ValueError("HUB_JWT_SECRET must be set to a random secret of at least 32 characters in production")
        if self.environment == "production" and self.kafka_security_protocol == "PLAINTEXT":
            raise ValueError("HUB_KAFKA_SECURITY_PROTOCOL must authenticate (SASL_PLAINTEXT or SASL_SSL) in production")
        if self.kafka_security_protocol != "PLAINTEXT" and not (self.kafka_username and self.kafka_password):
            raise ValueError("HUB_KAFKA_USERNAME and HUB_KAFKA_PASSWORD are needed with SASL")
        if self.oidc_jwks_url and not self.oidc_issuer:
            raise ValueError("HUB_OIDC_ISSUER is needed with HUB_OIDC_JWKS_URL")
        if self.environment == "production" and self.oidc_jwks_url and not self.oidc_jwks_url.startswith("https://"):
            raise ValueError("HUB_OIDC_JWKS_URL must be https in production")
        if self.environment == "production" and self.simulated_clock:
            raise ValueError("HUB_SIMULATED_CLOCK cannot be used in production")
        if self.workers > 1 and self.simulated_clock:
            raise ValueError("HUB_WORKERS > 1 needs the real clock: a simulated clock lives in one process")
        return self


def install_calendar(settings: HubSettings) -> None:
    """Install the official holiday schedules the settings name (before anything computes a deadline)."""
    if settings.workday_schedule:
        from contracts.workdays import install_schedule_file

        install_schedule_file(settings.workday_schedule)
