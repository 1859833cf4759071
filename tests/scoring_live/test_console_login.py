"""Console sign-in without a token in the URL: one-time codes, a form that posts the token, and a
refusal (400) for `?token=`; a sign-in code is never a bearer token, nor a bearer token a code."""

import pytest
from hubkit.auth import CONSOLE_LOGIN, mint_token
from hubkit.settings import DEV_SECRET
from hubkit.testing import running_app, token
from scoring.bootstrap import create_app
from scoring.settings import ScoringSettings

pytestmark = pytest.mark.integration


async def test_console_signs_in_by_one_time_code_or_form_never_by_url_token(database_url: str,
                                                                            kafka_bootstrap: str) -> None:
    settings = ScoringSettings(submissions="none", inventory="none",
                               database_url=database_url, kafka_bootstrap=kafka_bootstrap)
    code = mint_token(DEV_SECRET, role="operator", purpose=CONSOLE_LOGIN, ttl_seconds=600)
    bearer = token("operator")["Authorization"][7:]
    async with running_app(create_app(settings)) as client:
        first = await client.get("/console/login", params={"code": code, "month": "2019-08"})
        assert first.status_code == 303 and first.headers["location"] == "/console?lang=zh&month=2019-08"
        session = first.cookies.get("hub_console")
        assert session and session != code and "httponly" in first.headers["set-cookie"].lower()
        assert (await client.get("/console/login", params={"code": code})).status_code == 401  # used once only
        # A code is not a bearer token, and a bearer token is not a code.
        assert (await client.get("/scores", headers={"Authorization": f"Bearer {code}"})).status_code == 401
        assert (await client.get("/console/login", params={"code": bearer})).status_code == 401
        # A token in the URL is refused; in a posted form it signs in.
        refused = await client.get("/console/login", params={"token": bearer})
        assert refused.status_code == 400 and "hub_console" not in refused.cookies
        posted = await client.post("/console/login", content=f"token={bearer}".encode(),
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert posted.status_code == 303 and posted.cookies.get("hub_console") == bearer
        # A department signs in to its own workspace; a service (a machine) has no console at all.
        department = token("department", "11450000MB1519000C")["Authorization"][7:]
        signed = await client.post("/console/login", content=f"token={department}".encode(),
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert signed.status_code == 303 and signed.headers["location"].startswith("/console/workspace")
        service = token("service")["Authorization"][7:]
        assert (await client.post("/console/login", content=f"token={service}".encode(),
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})).status_code == 401
        machine = mint_token(DEV_SECRET, role="service", purpose=CONSOLE_LOGIN)
        assert (await client.get("/console/login", params={"code": machine})).status_code == 401
        # Over https the cookie is Secure.
        secure = await client.get("/console/login", headers={"X-Forwarded-Proto": "https"},
                                  params={"code": mint_token(DEV_SECRET, role="operator", purpose=CONSOLE_LOGIN)})
        assert "secure" in secure.headers["set-cookie"].lower()
