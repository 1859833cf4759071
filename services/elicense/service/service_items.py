"""The list of service items and the license types each accepts in place of paper (免证办): the handling
department (or the bureau) lists an item; each change is the item's next version and an event."""

from __future__ import annotations

from contracts.elicense import ItemAcceptance, ServiceItemListed
from contracts.values import validate_uscc
from hubkit.auth import Role
from hubkit.problems import Problem, forbidden

from elicense.domain.license_types import LicenseType
from elicense.domain.service_items import ITEM_CODE, ItemInvalid, ServiceItem, check_acceptances
from elicense.service import commands as c
from elicense.service.ports import ElicenseUnitOfWork


def _invalid(detail: str) -> Problem:
    return Problem(422, "Invalid request", detail, kind="invalid-request")


async def list_item(cmd: c.ListItem, uow: ElicenseUnitOfWork, types: dict[str, LicenseType]
                    ) -> tuple[ServiceItem, bool]:
    """(the item as listed now, whether this changed it)."""
    if cmd.actor.role is Role.department and cmd.actor.unit != cmd.handling_unit:
        raise forbidden(f"a department token for {cmd.actor.unit} lists the items it handles, "
                        f"not {cmd.handling_unit}'s")
    if cmd.actor.role not in (Role.department, Role.operator):
        raise forbidden(f"role {cmd.actor.role.value} does not list service items")
    if not ITEM_CODE.match(cmd.code):
        raise _invalid("code: 1–64 letters, digits and . _ - (the item's code in the service-item catalog)")
    if not cmd.name.strip() or len(cmd.name) > 200:
        raise _invalid("name: 1–200 characters")
    try:
        validate_uscc(cmd.handling_unit)
        check_acceptances(cmd.accepts, types)
    except ItemInvalid as exc:
        raise _invalid(str(exc)) from None
    except ValueError as exc:
        raise _invalid(f"handling_unit: {exc}") from None
    accepts = tuple(type(a)(a.license_type, tuple(m.strip() for m in a.materials)) for a in cmd.accepts)
    async with uow:
        old = await uow.items.get(cmd.code, lock=True)
        if old is not None and cmd.actor.role is Role.department and old.handling_unit != cmd.actor.unit:
            raise forbidden(f"item {cmd.code} is handled by {old.handling_unit}; the bureau moves it")
        item = ServiceItem(cmd.code, cmd.name.strip(), cmd.handling_unit, accepts,
                           old.version + 1 if old is not None else 1)
        if old is not None and (old.name, old.handling_unit, old.accepts) == (item.name, item.handling_unit,
                                                                              item.accepts):
            return old, False
        await uow.items.save(item, cmd.at, cmd.actor.subject)
        uow.emit(ServiceItemListed(item_code=item.code, name=item.name, version=item.version, accepts=[
            ItemAcceptance(license_type=a.license_type, materials=list(a.materials)) for a in item.accepts]),
            unit=item.handling_unit, at=cmd.at)
        await uow.commit()
    return item, True
