"""``zhudai models``: list, publish, activate and roll back the model versions the installed
policies are compiled with (the same service as ``/v1/models``; every change audited)."""

from __future__ import annotations

from pathlib import Path

import typer

from zhudai.audit.changes import version_change
from zhudai.decision.model_versions import ARTEFACT_FILES, ModelInfo
from zhudai.decision.service import DecisionService, installed_decisions
from zhudai.exceptions import InvalidInputError

app = typer.Typer(help=__doc__, no_args_is_help=True)


def _service() -> DecisionService:
    return installed_decisions()


def _line(info: ModelInfo) -> str:
    when = info.activated_at.isoformat(timespec="seconds") if info.activated_at else "-"
    return (
        f"{info.name}@{info.version}\t{info.status}\t{info.kind or '-'}\t{info.model_type}"
        f"\t{info.features} features\tactivated {when}"
    )


@app.command("list")
def list_cmd(name: str = typer.Argument(None)) -> None:
    """Stored versions with their status (artefacts on disk are adopted on first use)."""
    for info in _service().models().versions(name):
        typer.echo(_line(info))


@app.command("publish")
def publish_cmd(
    folder: Path = typer.Argument(..., help="An artefact folder (as `zhudai card train` writes)."),
    name: str = typer.Option(..., help="The model name a policy's `models:` entry uses."),
    activate: bool = typer.Option(False, help="Activate the new version."),
) -> None:
    """Store an artefact as the next version of NAME (draft), once it loads."""
    if not (folder / "model.json").is_file():
        raise InvalidInputError("folder", f"{folder} holds no model.json")
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.name in ARTEFACT_FILES}
    service = _service()
    info = service.models().publish(name, files, audit=version_change("model.publish"))
    typer.echo(f"published {_line(info)}")
    if activate:
        info = service.activate_model(name, info.version, audit=version_change("model.activate"))
        typer.echo(f"active: {info.name}@{info.version}")


@app.command("activate")
def activate_cmd(name: str, version: int) -> None:
    """Serve VERSION of NAME (the serving policies must compile with it, or nothing changes)."""
    info = _service().activate_model(name, version, audit=version_change("model.activate"))
    typer.echo(f"active: {info.name}@{info.version}")


@app.command("rollback")
def rollback_cmd(name: str) -> None:
    """Re-activate the version of NAME that served before the current one."""
    info = _service().rollback_model(name, audit=version_change("model.rollback"))
    typer.echo(f"rolled back: {info.name}@{info.version} is active")
