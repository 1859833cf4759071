"""How the catalog's use cases say no: one line naming each field and rule."""

from __future__ import annotations

from hubkit.problems import Problem


def reason(exc: Exception, whole: str = "body") -> str:
    """One line naming each field and rule; pydantic's own wording without its prefixes (`whole` names
    a rule about the whole object)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or whole}: {e['msg']}".replace("Value error, ", "")
                         for e in errors())
    return str(exc)


def rejected(exc: Exception, whole: str = "body") -> Problem:
    return Problem(422, "Invalid request", reason(exc, whole), kind="invalid-request")
