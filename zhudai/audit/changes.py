"""The audit entry of a versioned change (a policy or model published, activated, rolled back)
made from the command line, for the change's own transaction."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection

from zhudai.audit.chain import AuditLog


def cli_actor() -> str:
    """Who made a change from the command line: the operating-system user."""
    return f"cli:{getpass.getuser()}"


def version_change(action: str, actor: str | None = None) -> Callable[[Connection, Any], None]:
    """``hook(conn, info)`` for a store's ``audit=``: one entry naming ``info.name@version``."""

    def hook(conn: Connection, info: Any) -> None:
        AuditLog.append(
            conn,
            actor=actor or cli_actor(),
            action=action,
            subject=f"{info.name}@{info.version}",
            payload={"status": str(info.status)},
        )

    return hook
