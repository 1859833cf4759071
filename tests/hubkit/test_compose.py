"""docker-compose.yml cannot run here; this keeps it consistent with the settings the code reads."""

import importlib
from pathlib import Path

import yaml
from hubkit.settings import HubSettings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {
    "catalog": "catalog.settings:CatalogSettings",
    "exchange": "exchange.settings:ExchangeSettings",
    "elicense": "elicense.settings:ElicenseSettings",
    "scoring": "scoring.settings:ScoringSettings",
}


def settings_class(path: str) -> type[HubSettings]:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def env_names(cls: type[HubSettings]) -> set[str]:
    return {f"HUB_{field.upper()}" for field in cls.model_fields}


def test_every_service_env_name_is_a_settings_field() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for service, path in SETTINGS.items():
        env = compose["services"][service]["environment"]
        names = {k for k in env if k.startswith("HUB_")}
        unknown = names - env_names(settings_class(path))
        assert not unknown, f"{service}: compose sets {unknown} which {path} does not read"
        for required in ("HUB_DATABASE_URL", "HUB_KAFKA_BOOTSTRAP", "HUB_JWT_SECRET", "HUB_HTTP_PORT"):
            assert required in names, f"{service} lacks {required}"
        assert compose["services"][service]["command"] == ["python", "-m", service]


def test_compose_settings_validate() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for service, path in SETTINGS.items():
        env = {k: str(v) for k, v in compose["services"][service]["environment"].items()}
        env["HUB_JWT_SECRET"] = "x" * 40
        env["HUB_KAFKA_PASSWORD"] = "p" * 32
        fields = {k[4:].lower(): v for k, v in env.items()}
        settings = settings_class(path)(**fields)
        assert settings.environment == "production"
        assert settings.kafka_idempotent is True
        # Each service is its own broker principal, authenticated.
        assert settings.kafka_security_protocol == "SASL_PLAINTEXT" and settings.kafka_username == service


def test_the_compose_broker_authenticates_every_principal() -> None:
    script = (ROOT / "infra/kafka/compose-broker.sh").read_text()
    for principal in ("admin", *SETTINGS):
        assert f"name={principal}," in script
    assert "allow.everyone.if.no.acl.found=false" in script and "StandardAuthorizer" in script


def test_collector_config_exists_and_receives_otlp_http() -> None:
    config = yaml.safe_load((ROOT / "infra/otel/config.yaml").read_text())
    assert "http" in config["receivers"]["otlp"]["protocols"]
