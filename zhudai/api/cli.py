"""``zhudai apikey create|list|revoke`` and ``zhudai serve``."""

from __future__ import annotations

import typer

apikey_app = typer.Typer(
    help="API keys of the partner HTTP API (hashed at rest, one role and tenant each).",
    no_args_is_help=True,
)
serve_app = typer.Typer(help="Serve the partner HTTP API.")


def _keys():  # type: ignore[no-untyped-def]
    from zhudai.api.keys import ApiKeys
    from zhudai.store.migrate import upgrade

    upgrade()
    return ApiKeys()


@apikey_app.command("create")
def create_cmd(
    name: str = typer.Option(..., "--name", help="A unique name for the key."),
    role: str = typer.Option(..., "--role", help="channel, funder, analyst, collector or admin."),
    tenant: str | None = typer.Option(
        None,
        "--tenant",
        help="The channel or funder code, or a collector's queue, the key acts for.",
    ),
) -> None:
    """Create a key; the key itself is printed alone on the last line, this once only."""
    info, key = _keys().create(name, role, tenant)
    typer.echo(f"created key {info.name} (role {info.role}, tenant {info.tenant or '-'})")
    typer.echo(key)


@apikey_app.command("list")
def list_cmd() -> None:
    """List the keys (name, role, tenant, first characters, created, revoked)."""
    for k in _keys().list():
        revoked = k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else "-"
        created = k.created_at.isoformat(timespec="seconds") if k.created_at else "-"
        typer.echo(f"{k.name}\t{k.role}\t{k.tenant or '-'}\t{k.prefix}...\t{created}\t{revoked}")


@apikey_app.command("revoke")
def revoke_cmd(name: str = typer.Argument(..., help="The key's name.")) -> None:
    """Revoke a key: its requests are refused from now on."""
    info = _keys().revoke(name)
    typer.echo(f"revoked key {info.name}")


@serve_app.callback(invoke_without_command=True)
def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes."),
) -> None:
    """Serve the API (OpenAPI at /openapi.json, docs at /docs) on the store in ZHUDAI_HOME."""
    import uvicorn

    from zhudai.store.migrate import upgrade

    upgrade()  # once, before any worker starts
    uvicorn.run(
        "zhudai.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # the app writes its own, masked
        timeout_graceful_shutdown=10,
    )
