"""Bearer tokens (HS256 JWT) whose claims give a role and, for departments, a unit.

Every endpoint but health and readiness depends on `authenticate`; a department
can act on and read only its own unit (`Principal.ensure_unit`).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .problems import Problem

if TYPE_CHECKING:
    from .oidc import TokenVerifier

ISSUER = "gov-hub"


class Role(StrEnum):
    operator = "operator"
    department = "department"
    inspector = "inspector"
    auditor = "auditor"
    service = "service"


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    unit: str | None = None
    jti: str = ""
    issued_at: int = 0  # epoch seconds (`iat`); a subject's revocation covers the tokens issued before it

    def ensure_unit(self, unit: str) -> None:
        """Departments may touch their own unit only; other roles are not unit-scoped."""
        if self.role is Role.department and self.unit != unit:
            raise Problem(403, "Forbidden", f"a department token for {self.unit} cannot act on unit {unit}",
                          kind="forbidden")

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Problem(403, "Forbidden", f"role {self.role.value} may not do this (allowed: {allowed})",
                          kind="forbidden")


CONSOLE_LOGIN = "console-login"  # the purpose of a one-time console sign-in code
# The longest a token is good for: a revocation is kept this long, so no revoked token outlives it.
MAX_TOKEN_SECONDS = 12 * 3600


def mint_token(secret: str, *, role: Role | str, unit: str | None = None, subject: str | None = None,
               ttl_seconds: int = 12 * 3600, purpose: str | None = None) -> str:
    """A bearer token; with a `purpose` it is good for that only (e.g. a one-time console sign-in
    code), never as a bearer token. Every token has its own `jti`."""
    role = Role(role)
    if ttl_seconds > MAX_TOKEN_SECONDS:
        raise ValueError(f"a token lives at most {MAX_TOKEN_SECONDS} seconds")
    if role is Role.department and not unit:
        raise ValueError("a department token needs the unit (USCC) it belongs to")
    now = int(time.time())
    claims: dict[str, object] = {"iss": ISSUER, "sub": subject or f"{role.value}:{unit or 'hub'}",
                                 "role": role.value, "iat": now, "exp": now + ttl_seconds, "jti": uuid.uuid4().hex}
    if purpose:
        claims["purpose"] = purpose
    if unit:
        claims["unit"] = unit
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_token(secret: str, token: str, *, purpose: str | None = None) -> Principal:
    return verified(secret, token, purpose=purpose)[0]


def verified(secret: str, token: str, *, purpose: str | None = None) -> tuple[Principal, int]:
    """Who the hub's own token names, and when it expires (epoch seconds); Problem 401 when it is not valid."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], issuer=ISSUER, options={"require": ["exp", "role"]})
        role = Role(claims["role"])
    except (jwt.PyJWTError, ValueError) as exc:
        raise Problem(401, "Unauthorized", f"invalid bearer token: {exc}", kind="unauthorized") from None
    issued = claims.get("iat")
    if not isinstance(issued, int) or claims["exp"] - issued > MAX_TOKEN_SECONDS:
        raise Problem(401, "Unauthorized", f"tokens live at most {MAX_TOKEN_SECONDS} seconds", kind="unauthorized")
    if claims.get("purpose") != purpose:
        wanted = f"a {purpose} code" if purpose else "a bearer token"
        raise Problem(401, "Unauthorized", f"this is not {wanted}", kind="unauthorized")
    unit = claims.get("unit")
    if role is Role.department and not unit:
        raise Problem(401, "Unauthorized", "department token without a unit claim", kind="unauthorized")
    return Principal(subject=str(claims.get("sub", "")), role=role, unit=unit, jti=str(claims.get("jti") or ""),
                     issued_at=issued), int(claims["exp"])


_bearer = HTTPBearer(auto_error=False, description="JWT minted by `hub token` (HS256) or issued by the "
                     "configured OpenID Connect provider (RS256/ES256)")


async def authenticate(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    judged: Principal | None = request.scope.get("state", {}).get("principal")
    if judged is not None:  # the request guard verified the token and applied the access rule already
        return judged
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Problem(401, "Unauthorized", "this endpoint needs an Authorization: Bearer token", kind="unauthorized")
    verifier: TokenVerifier = request.app.state.verifier
    return verifier.verify(credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]
