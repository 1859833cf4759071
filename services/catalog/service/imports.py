"""Bulk cataloguing from CSV: each good row is catalogued in a savepoint of its own, each bad row is reported
with its line; what was good stays. A row marked for publication is submitted for the bureau's review when a
department imports it, and published when the bureau imports it (the bureau is the reviewer: it loads the
catalog it has already reviewed)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from contracts.values import ResourceCode, Uscc
from hubkit.auth import Role
from hubkit.problems import Problem
from pydantic import BaseModel, Field, ValidationError

from catalog.domain import reviews as flow
from catalog.domain.csv_rows import check_header, parse_row
from catalog.domain.resources import Resource, ResourceRejected
from catalog.service import commands as c
from catalog.service import steps
from catalog.service.errors import reason, rejected
from catalog.service.handlers import _create
from catalog.service.ports import CatalogUnitOfWork


class ImportError_(BaseModel):
    row: int = Field(description="1-based data row of the upload")
    line: int = Field(description="line of the upload the row starts on")
    reason: str


class ImportReport(BaseModel):
    imported: list[str] = Field(description="codes of the catalogued rows, in file order")
    published: int = Field(description="rows the bureau imported as published")
    submitted: int = Field(0, description="rows a department imported for publication: submitted for review")
    errors: list[ImportError_] = Field(description="each rejected row with its line number and reason")


class _Codes(BaseModel):
    """A row's codes, checked as the API checks them (check characters, the code's layout)."""

    provider: Uscc
    resource_code: ResourceCode | None


def _readable_rows(reader: csv.DictReader[str], report: ImportReport) -> Iterator[dict[str, str | None]]:
    """The rows the CSV reader can read; where it cannot go on (malformed quoting), the rest of the file is
    one error naming the line, and what was read before stays imported."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.errors.append(ImportError_(row=len(report.imported) + len(report.errors) + 1, line=reader.line_num,
                                              reason=f"the file cannot be read from here on: {exc}"))
            return
        yield row


def _reader(text: str) -> csv.DictReader[str]:
    # A cell may be as long as the body (bounded by the request limit); a too-long value is then a
    # row error from validation, not a csv.Error that would stop the whole file.
    csv.field_size_limit(max(len(text), 131_072))
    reader = csv.DictReader(io.StringIO(text, newline=""))  # newline="": line ends inside quoted cells are data
    try:
        check_header(list(reader.fieldnames or []))
    except ResourceRejected as exc:
        raise rejected(exc) from None
    except csv.Error as exc:
        raise rejected(ValueError(f"line 1: not a readable CSV header ({exc})")) from None
    return reader


async def _publish_or_submit(uow: CatalogUnitOfWork, cmd: c.ImportCsv, resource: Resource) -> None:
    if cmd.actor.role is Role.operator:
        await steps.publish(uow, resource, cmd.at)
    else:
        await steps.submit(uow, flow.submit_publication(steps.new_review_id(), resource, cmd.at, cmd.review_days),
                           resource.provider)


async def import_csv(cmd: c.ImportCsv, uow: CatalogUnitOfWork) -> ImportReport:
    reader = _reader(cmd.text)
    report = ImportReport(imported=[], published=0, errors=[])
    async with uow:
        ended = reader.line_num
        for index, row in enumerate(_readable_rows(reader, report), start=1):
            line, ended = ended + 1, reader.line_num
            try:
                async with uow.savepoint():
                    parsed = parse_row(row)
                    publish_now = parsed.publish
                    codes = _Codes(provider=parsed.provider, resource_code=parsed.resource_code)
                    create = c.CreateResource(actor=cmd.actor, provider=codes.provider, metadata=parsed.metadata,
                                              resource_code=codes.resource_code, at=cmd.at, catalog=parsed.catalog,
                                              item=parsed.item)
                    resource = await _create(create, uow)
                    if publish_now:
                        await _publish_or_submit(uow, cmd, resource)
            except (ResourceRejected, ValidationError) as exc:
                report.errors.append(ImportError_(row=index, line=line, reason=reason(exc)))
            except Problem as exc:
                report.errors.append(ImportError_(row=index, line=line, reason=exc.detail))
            else:
                report.imported.append(resource.code)
                if publish_now and cmd.actor.role is Role.operator:
                    report.published += 1
                elif publish_now:
                    report.submitted += 1
        await uow.commit()
    return report
