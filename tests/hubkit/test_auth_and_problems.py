import httpx
import pytest
from fastapi import APIRouter, FastAPI
from hubkit import problems
from hubkit.auth import CurrentPrincipal, Role, mint_token, verify_token
from hubkit.oidc import TokenVerifier
from hubkit.problems import Problem
from hubkit.settings import DEV_SECRET, HubSettings
from hubkit.testing import token
from pydantic import BaseModel

UNIT_A, UNIT_B = "11450000MB15190000", "11450100MB1234567X"


class Body(BaseModel):
    count: int


def make_app() -> FastAPI:
    app = FastAPI()
    app.state.settings = HubSettings()
    app.state.verifier = TokenVerifier(app.state.settings.jwt_secret)
    problems.install(app)
    router = APIRouter()

    @router.get("/units/{unit}/secret")
    async def secret(unit: str, principal: CurrentPrincipal) -> dict[str, str]:
        principal.ensure_unit(unit)
        return {"unit": unit}

    @router.post("/things")
    async def things(body: Body, principal: CurrentPrincipal) -> dict[str, int]:
        principal.require(Role.operator)
        return {"count": body.count}

    app.include_router(router)
    return app


@pytest.fixture
def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=make_app()), base_url="http://t")


async def test_no_token_is_401_problem(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/units/{UNIT_A}/secret")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "Unauthorized"
    assert r.headers["www-authenticate"] == "Bearer"


async def test_department_reads_own_unit_but_not_another(client: httpx.AsyncClient) -> None:
    ok = await client.get(f"/units/{UNIT_A}/secret", headers=token("department", UNIT_A))
    assert ok.status_code == 200
    denied = await client.get(f"/units/{UNIT_B}/secret", headers=token("department", UNIT_A))
    assert denied.status_code == 403
    assert UNIT_B in denied.json()["detail"]


async def test_operator_is_not_unit_scoped(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"/units/{UNIT_B}/secret", headers=token("operator"))).status_code == 200


async def test_wrong_secret_and_expired_tokens_are_401(client: httpx.AsyncClient) -> None:
    forged = mint_token("another-secret-another-secret-xx", role="operator")
    r = await client.get(f"/units/{UNIT_A}/secret", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    expired = mint_token(DEV_SECRET, role="operator", ttl_seconds=-10)
    r = await client.get(f"/units/{UNIT_A}/secret", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and "expired" in r.json()["detail"].lower()


async def test_role_check_and_validation_problems(client: httpx.AsyncClient) -> None:
    r = await client.post("/things", json={"count": 1}, headers=token("inspector"))
    assert r.status_code == 403 and "inspector" in r.json()["detail"]
    bad = await client.post("/things", json={"count": "many"}, headers=token("operator"))
    assert bad.status_code == 422
    body = bad.json()
    assert body["type"].endswith("/invalid-request")
    assert body["errors"][0]["field"] == "count"


def test_department_token_needs_a_unit() -> None:
    with pytest.raises(ValueError, match="unit"):
        mint_token(DEV_SECRET, role="department")
    principal = verify_token(DEV_SECRET, mint_token(DEV_SECRET, role="department", unit=UNIT_A))
    assert principal.role is Role.department and principal.unit == UNIT_A


def test_production_refuses_the_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_ENVIRONMENT", "production")
    with pytest.raises(ValueError, match="HUB_JWT_SECRET"):
        HubSettings()


@pytest.mark.parametrize("spelling", ["Production", "prod", "PRODUCTION", "staging", ""])
def test_only_known_environments_start(monkeypatch: pytest.MonkeyPatch, spelling: str) -> None:
    """`Production` or `prod` used to start with the development secret and holder key."""
    from elicense.settings import ElicenseSettings

    monkeypatch.setenv("HUB_ENVIRONMENT", spelling)
    for model in (HubSettings, ElicenseSettings):
        with pytest.raises(ValueError, match="environment"):
            model()


def test_a_refused_secret_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    from elicense.settings import ElicenseSettings

    monkeypatch.setenv("HUB_ENVIRONMENT", "production")
    monkeypatch.setenv("HUB_JWT_SECRET", "weak-but-secret-jwt-123")
    monkeypatch.setenv("HUB_HOLDER_KEY", "weak-but-secret-holder-456")
    for model in (HubSettings, ElicenseSettings):
        with pytest.raises(ValueError) as caught:
            model()
        assert "weak-but-secret" not in str(caught.value) and "weak-but-secret" not in repr(caught.value)


def test_problem_carries_extension_members() -> None:
    p = Problem(409, "Conflict", "already decided", kind="conflict", request_id="r-1")
    assert p.extra == {"request_id": "r-1"} and p.kind == "conflict"
