"""A file `gains import` takes, and the counts that show whether an import wrote anything;
shared by the import command's tests and the command-line bounds tests (their fixtures
`member`, `running` and `run` are in tests/conftest.py)."""

from __future__ import annotations

from sqlalchemy import func, select

from gains.models import AuditEvent, Measurement, UploadBatch

GOOD = (
    "phase,group,unit,date,value\n"
    + "".join(f"before,treatment,case {i},2026-04-0{1 + i % 5},{10 + i % 3}\n" for i in range(6))
    + "".join(f"after,treatment,case {i},2026-06-0{1 + i % 5},{8 + i % 3}\n" for i in range(6))
)


def counts(session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Measurement)),
        session.scalar(select(func.count()).select_from(UploadBatch)),
        session.scalar(select(func.count()).select_from(AuditEvent)),
    )
