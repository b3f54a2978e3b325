"""``zhudai audit``: verify the audit chain, or print its last entries."""

from __future__ import annotations

import json

import typer

app = typer.Typer(help="The append-only audit log: verify its hash chain.", no_args_is_help=True)


@app.command("verify")
def verify_cmd() -> None:
    """Check every entry's hash and link; name the first edited, deleted or moved entry."""
    from zhudai.audit.chain import AuditLog
    from zhudai.store.migrate import upgrade

    upgrade()
    report = AuditLog().verify()
    typer.echo(report.line())
    if not report.intact:
        raise typer.Exit(1)


@app.command("tail")
def tail_cmd(limit: int = typer.Option(20, min=1, help="How many entries, newest first.")) -> None:
    """Print the last entries as JSON lines."""
    from zhudai.audit.chain import AuditLog
    from zhudai.store.migrate import upgrade

    upgrade()
    for entry in AuditLog().entries(limit):
        typer.echo(json.dumps(entry, default=str, ensure_ascii=False))
