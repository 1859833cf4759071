"""docker-compose.yml cannot run here; this keeps it consistent with the settings the code reads."""

import importlib
import re
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


# What an operator must export before `docker compose up`; the file refuses to start without them.
OPERATOR_ENV = {
    "HUB_JWT_SECRET": "x" * 40,
    "HUB_HOLDER_KEY": "h" * 40,
    **{f"HUB_KAFKA_{who.upper()}_PASSWORD": "p" * 32 for who in ("admin", *SETTINGS)},
}
VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\}")


def interpolate(value: str, given: dict[str, str]) -> str:
    """Compose's own substitution: ${X:-default}, ${X:?message} (refuses when unset) and ${X}."""
    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if given.get(name):
            return given[name]
        if op == ":?":
            raise AssertionError(f"compose refuses to start without {name}: {arg}")
        return arg if op == ":-" else ""
    return VARIABLE.sub(one, value)


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
        env = {k: interpolate(str(v), OPERATOR_ENV) for k, v in compose["services"][service]["environment"].items()}
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


def test_interpolation_follows_compose() -> None:
    assert interpolate("${A:-2}", {}) == "2" and interpolate("${A:-2}", {"A": "5"}) == "5"
    assert interpolate("${A}", {}) == "" and interpolate("a${A}b", {"A": "-"}) == "a-b"
    try:
        interpolate("${A:?set A}", {})
    except AssertionError as refused:
        assert "set A" in str(refused)
    else:
        raise AssertionError("an unset required variable must refuse")
