"""Stored model versions on the demo's artefacts: adoption of what is on disk (relative to
the home, so a copied home serves its own files), publish and activation in one transaction
with their audit hook."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from zhudai.decision.document import ModelRef
from zhudai.decision.model_versions import ModelStore, StoredModelLoader
from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.settings import Settings


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name == "model.json"}


def test_adopted_versions_follow_a_moved_home(home: Settings, tmp_path: Path) -> None:
    store = ModelStore(home.database_url, home.home / "models")
    assert store.active_path("acard") == (home.home / "models" / "acard")
    moved = tmp_path / "moved"
    shutil.copytree(home.home / "models", moved)
    elsewhere = ModelStore(home.database_url, moved)
    assert elsewhere.active_path("acard") == moved / "acard"
    loader = StoredModelLoader(elsewhere, root=home.home)
    assert loader.resolve(ModelRef(name="acard", path="models/acard")) == moved / "acard"
    assert elsewhere.active_path("fraud") is None  # not a registry artefact


def test_publish_and_activate_commit_with_their_audit_or_not_at_all(home: Settings) -> None:
    store = ModelStore(home.database_url, home.home / "models")
    files = _files(home.home / "models" / "acard")

    def fail(conn: object, info: object) -> None:
        raise RuntimeError("audit down")

    with pytest.raises(RuntimeError):
        store.publish("acard", files, audit=fail)
    assert [i.version for i in store.versions("acard")] == [1]
    assert not (home.home / "models" / "acard" / "v2").exists()
    info = store.publish("acard", files)
    assert (info.version, info.status, info.kind) == (2, "draft", "A")
    with pytest.raises(RuntimeError):
        store.activate("acard", 2, audit=fail)
    assert {i.version: i.status for i in store.versions("acard")} == {1: "active", 2: "draft"}
    store.activate("acard", 2)
    assert store.active_path("acard") == home.home / "models" / "acard" / "v2"
    assert store.rollback("acard").version == 1
    with pytest.raises(NotFoundError):
        store.activate("acard", 9)
    with pytest.raises(InvalidInputError, match="name"):
        store.publish("../etc", files)


def test_refresh_swaps_in_a_model_activated_elsewhere(home: Settings) -> None:
    from zhudai.decision.service import installed_decisions

    service = installed_decisions(home)
    assert service.policy("acard_default").models["acard"].version == "1"
    other = ModelStore(home.database_url, home.home / "models")  # another worker's
    other.publish("acard", _files(home.home / "models" / "acard"))
    other.activate("acard", 2)
    assert service.policy("acard_default").models["acard"].version == "1"  # until refresh
    assert service.refresh() == [f"acard_default@{service.policy('acard_default').version}"]
    assert service.policy("acard_default").models["acard"].version == "2"
    assert service.refresh() == []


def test_models_cli_publishes_activates_and_rolls_back_with_audit(home: Settings) -> None:
    from typer.testing import CliRunner

    from zhudai.audit import AuditLog
    from zhudai.decision.model_cli import app

    runner = CliRunner()
    listed = runner.invoke(app, ["list", "acard"])
    assert listed.exit_code == 0 and listed.output.startswith("acard@1\tactive\tA\tscorecard")
    folder = home.home / "models" / "acard"
    done = runner.invoke(app, ["publish", str(folder), "--name", "acard", "--activate"])
    assert done.exit_code == 0, done.output
    assert "published acard@2\tdraft" in done.output and "active: acard@2" in done.output
    back = runner.invoke(app, ["rollback", "acard"])
    assert back.output.strip() == "rolled back: acard@1 is active"
    actions = [e["action"] for e in AuditLog(home.database_url).entries(3)]
    assert actions == ["model.rollback", "model.activate", "model.publish"]
    missing = runner.invoke(app, ["activate", "acard", "7"])
    assert missing.exit_code != 0
