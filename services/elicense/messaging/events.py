"""Events of the e-license service. Single pushes use the contract models; a stock import builds the
same JSON directly (tens of thousands per second), which tests/elicense checks decodes to exactly the
envelope `new_envelope` would make."""

from __future__ import annotations

from datetime import datetime

import orjson
from contracts.elicense import LicensePushed
from hubkit.outbox import EncodedEvents, EncodedRow


def stock_pushed_rows(issuer: str, at: datetime, licenses: list[tuple[str, str]]) -> list[EncodedRow]:
    """Outbox rows of `elicense.license-pushed` in stock mode for (license id, license type) pairs:
    no file, not sealed (a file attached later pushes again)."""
    events = EncodedEvents(LicensePushed, issuer, at)
    dumps = orjson.dumps  # escapes each string, so any license id or type is encoded correctly
    return events.rows([
        b'{"license_id":%s,"license_type":%s,"push_mode":"stock","file_format":null,"sealed":false}'
        % (dumps(license_id), dumps(license_type))
        for license_id, license_type in licenses])
