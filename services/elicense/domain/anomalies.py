"""Abnormal data in pushed licenses (电子证照总库异常数据, seed 000 B2.7): what the library finds wrong in a
license it accepted, so that the issuer corrects it. Pure: a checked license and what the library knows
of its issuer's other licenses in, findings out.

A license the contract refuses (a holder id with a wrong check character, dates out of order, a field
missing) never enters the library; these are the problems of licenses it did accept:
- `duplicate-number`: another license of the same issuer and type carries the same number;
- `issued-in-the-future`: the issue date is after the day the license was pushed (Asia/Shanghai);
- `missing-field`: a field its type's version requires is not carried (the type may have gained it after
  the license was issued, so the license is kept and listed rather than refused);
- `file-mismatch`: the license's file shows text, but not the license's number (a file of another license,
  or a number keyed in wrong). Judged only when the file's text can be read: a scan without a text layer,
  or a push that brings no file, leaves an open finding as it is.
A later push of the same license that no longer shows a problem corrects it; the time it took is kept.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

from elicense.domain.licenses import CheckedLicense

Code = Literal["duplicate-number", "issued-in-the-future", "missing-field", "file-mismatch"]
ANOMALY_CODES: frozenset[str] = frozenset(get_args(Code))


@dataclass(frozen=True, slots=True)
class Anomaly:
    code: Code
    detail: str


def _compact(text: str) -> str:
    return "".join(text.split()).upper()


def file_mismatch(number: str, file_text: str) -> Anomaly | None:
    """The file's text (spaces and case aside) does not contain the license's number."""
    if _compact(number) in _compact(file_text):
        return None
    return Anomaly("file-mismatch", f"the file's text does not show the license number {number}: "
                                    "a file of another license, or the number keyed in wrong")


def anomalies_of(lic: CheckedLicense, pushed_on: date, same_number: list[str],
                 file_text: str | None = None) -> list[Anomaly]:
    """What is abnormal in `lic` pushed on `pushed_on`; `same_number`: the ids of the issuer's other
    licenses of the same type with the same number; `file_text`: its file's text, if this push brought a
    file whose text can be read (else `file-mismatch` is not judged: see `unjudged`)."""
    found = []
    if same_number:
        found.append(Anomaly("duplicate-number", f"number {lic.number} is also carried by "
                                                 f"{', '.join(sorted(same_number)[:5])} (same issuer and type)"))
    if lic.issue_date > pushed_on:
        found.append(Anomaly("issued-in-the-future", f"issue_date {lic.issue_date} is after the push ({pushed_on})"))
    if lic.missing:
        found.append(Anomaly("missing-field", f"required fields of license type {lic.license_type} (version "
                                              f"{lic.type_version}) missing: {', '.join(lic.missing)}"))
    if file_text is not None and (mismatch := file_mismatch(lic.number, file_text)) is not None:
        found.append(mismatch)
    return found


def unjudged(file_text: str | None) -> set[str]:
    """The codes a push did not judge (their open findings stay open)."""
    return {"file-mismatch"} if file_text is None else set()


def reconcile(open_codes: set[str], found: list[Anomaly], unjudged: Collection[str] = ()
              ) -> tuple[list[Anomaly], set[str]]:
    """(the anomalies newly found, the open codes now corrected: judged again and not found)."""
    now = {a.code for a in found}
    return [a for a in found if a.code not in open_codes], open_codes - now - set(unjudged)
