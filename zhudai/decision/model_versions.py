"""Model versions in the store: publish an artefact, activate it, roll back, list.

An artefact is the scorecard registry's directory (``model.json`` and the booster or MLP
file) under ``ROOT/<name>/v<N>``. Publishing writes it there only after it loads, and stores
the version as ``draft``; activating one retires the version active before it, in the same
transaction. A policy's model ``name`` is compiled with the active version of that name
(:class:`StoredModelLoader`); a name with no stored versions falls back to the registry's
rule (the highest ``v<N>`` on disk).

Versions that exist on disk but not in the table (written by ``zhudai demo`` or
``zhudai card train``) are adopted on first use, the highest as active: exactly what served
before the table knew of them.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhudai.decision.document import ModelRef
from zhudai.decision.loaders import RegistryModelLoader
from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.store.db import session_scope
from zhudai.store.models import ModelVersion, PolicyStatus

#: The files an artefact may hold (the registry's layout); ``model.json`` is required.
ARTEFACT_FILES = ("model.json", "booster.json", "booster.txt", "mlp.npz")


@dataclass(frozen=True)
class ModelInfo:
    """One stored model version, without its files."""

    name: str
    version: int
    status: str
    kind: str
    model_type: str
    features: int
    data_hash: str | None
    created_at: datetime | None
    activated_at: datetime | None
    path: Path

    @classmethod
    def of(cls, row: ModelVersion, meta: Mapping[str, Any], path: Path) -> ModelInfo:
        return cls(
            path=path,
            name=row.name,
            version=int(row.version),
            status=str(row.status),
            kind=row.kind,
            model_type=str(meta.get("model_type", "")),
            features=len(meta.get("features", [])),
            data_hash=row.data_hash,
            created_at=row.created_at,
            activated_at=row.activated_at,
        )


#: ``audit(conn, info)`` runs inside the change's transaction, so its entry commits with it.
ChangeHook = Callable[[Connection, ModelInfo], None]


def _meta(path: str | Path) -> dict[str, Any]:
    meta: dict[str, Any] = orjson.loads((Path(path) / "model.json").read_bytes())
    return meta


def _version_dirs(base: Path) -> dict[int, Path]:
    if not base.is_dir():
        return {}
    return {
        int(p.name[1:]): p
        for p in base.iterdir()
        if p.is_dir() and p.name[:1] == "v" and p.name[1:].isdigit()
    }


def _artefacts(base: Path) -> list[tuple[int, Path]]:
    """The registry artefacts of one name, in the order the registry prefers them last: the
    ``v<N>`` folders by ``N``, then an artefact written straight into ``base`` (number 0: to
    be numbered on adoption)."""
    found = [(n, p.resolve()) for n, p in sorted(_version_dirs(base).items()) if _is_artefact(p)]
    if _is_artefact(base):
        found.append((0, base.resolve()))
    return found


def _is_artefact(path: Path) -> bool:
    """A folder holding a registry ``model.json`` (the fraud model's folder holds another)."""
    meta = path / "model.json"
    if not meta.is_file():
        return False
    return orjson.loads(meta.read_bytes()).get("format_version") is not None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class ModelStore:
    """The model versions under ``root`` (``ZHUDAI_HOME/models``) and their state in the store."""

    def __init__(self, url: str | None, root: str | Path) -> None:
        self.url = url
        self.root = Path(root)

    # -- reading -------------------------------------------------------------------------
    def versions(self, name: str | None = None) -> list[ModelInfo]:
        self.adopt()
        with session_scope(self.url) as s:
            q = select(ModelVersion).order_by(ModelVersion.name, ModelVersion.id)
            if name is not None:
                q = q.where(ModelVersion.name == name)
            return [self._info(r) for r in s.scalars(q)]

    def active_path(self, name: str) -> Path | None:
        """The artefact the policies serve for ``name`` (None: no stored version of it)."""
        self.adopt()
        with session_scope(self.url) as s:
            path = s.scalar(
                select(ModelVersion.artifact_path).where(
                    ModelVersion.name == name, ModelVersion.status == PolicyStatus.ACTIVE
                )
            )
        return None if path is None else self._located(path)

    def stamp(self) -> tuple[int, datetime | None]:
        """Changes whenever a version is published or activated (a cheap check for reload)."""
        with session_scope(self.url) as s:
            count, latest = s.execute(
                select(func.count(ModelVersion.id), func.max(ModelVersion.activated_at))
            ).one()
        return int(count), latest

    # -- changing ------------------------------------------------------------------------
    def publish(
        self, name: str, files: Mapping[str, bytes], *, audit: ChangeHook | None = None
    ) -> ModelInfo:
        """Store ``files`` as the next version of ``name`` (``draft``) once they load.

        Raises
        ------
        InvalidInputError
            A file name outside :data:`ARTEFACT_FILES`, no ``model.json``, or an artefact
            that does not load (the message says why).
        """
        _check_name(name)
        unknown = sorted(set(files) - set(ARTEFACT_FILES))
        if unknown:
            raise InvalidInputError("files", f"unknown artefact file(s) {unknown}")
        if "model.json" not in files:
            raise InvalidInputError("files", "model.json is required")
        base = self.root / name
        base.mkdir(parents=True, exist_ok=True)
        incoming = base / f".incoming-{uuid.uuid4().hex}"
        incoming.mkdir()
        placed: Path | None = None
        try:
            for file, content in files.items():
                (incoming / file).write_bytes(content)
            meta = _load_checked(incoming)
            self.adopt()
            with session_scope(self.url) as s:
                number = max([*_version_dirs(base), *self._numbers(s, name), 0]) + 1
                meta |= {"name": name, "version": str(number)}
                (incoming / "model.json").write_bytes(
                    orjson.dumps(meta, option=orjson.OPT_INDENT_2)
                )
                target = base / f"v{number}"
                row = ModelVersion(
                    name=name,
                    version=str(number),
                    kind=str(meta.get("kind", ""))[:8],
                    artifact_path=self._stored(target),
                    data_hash=meta.get("data_hash"),
                    metrics=meta.get("metrics") or {},
                    status=PolicyStatus.DRAFT,
                )
                s.add(row)
                s.flush()
                info = ModelInfo.of(row, meta, target)
                if audit is not None:
                    audit(s.connection(), info)
                incoming.rename(target)  # the last step before the commit
                placed = target
        except BaseException:
            if placed is not None:  # the commit failed: no row, so no folder either
                shutil.rmtree(placed, ignore_errors=True)
            raise
        finally:
            if incoming.exists():
                shutil.rmtree(incoming)
        return info

    def activate(self, name: str, version: int, *, audit: ChangeHook | None = None) -> ModelInfo:
        """Make ``version`` the one served for ``name``; the version active before is retired.
        The artefact must still load."""
        self.adopt()
        with session_scope(self.url) as s:
            target = s.scalars(
                select(ModelVersion).where(
                    ModelVersion.name == name, ModelVersion.version == str(version)
                )
            ).first()
            if target is None:
                raise NotFoundError("model", f"{name}@{version}")
            meta = _load_checked(self._located(target.artifact_path))
            for row in s.scalars(
                select(ModelVersion).where(
                    ModelVersion.name == name, ModelVersion.status == PolicyStatus.ACTIVE
                )
            ):
                if row.id != target.id:
                    row.status = PolicyStatus.RETIRED
            target.status = PolicyStatus.ACTIVE
            target.activated_at = _now()
            s.flush()
            info = ModelInfo.of(target, meta, self._located(target.artifact_path))
            if audit is not None:
                audit(s.connection(), info)
            return info

    def rollback(self, name: str, *, audit: ChangeHook | None = None) -> ModelInfo:
        """Re-activate the version that was active before the current one."""
        self.adopt()
        with session_scope(self.url) as s:
            rows = s.scalars(
                select(ModelVersion).where(
                    ModelVersion.name == name, ModelVersion.activated_at.is_not(None)
                )
            ).all()
            at = {r.id: r.activated_at or datetime.min for r in rows}
            current = next((r for r in rows if r.status == PolicyStatus.ACTIVE), None)
            until = at[current.id] if current is not None else datetime.max
            earlier = [r for r in rows if r is not current and at[r.id] <= until]
            if not earlier:
                raise NotFoundError("previous active version of model", name)
            previous = max(earlier, key=lambda r: (at[r.id], r.id))
            number = int(previous.version)
        return self.activate(name, number, audit=audit)

    # -- helpers -------------------------------------------------------------------------
    def _stored(self, folder: Path) -> str:
        """An artefact's path as stored: relative to the models folder when inside it, so a
        copied or moved home keeps serving its own files."""
        folder = folder.resolve()
        try:
            return folder.relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(folder)

    def _located(self, stored: str) -> Path:
        path = Path(stored)
        return path if path.is_absolute() else self.root / path

    def _info(self, row: ModelVersion) -> ModelInfo:
        path = self._located(row.artifact_path)
        return ModelInfo.of(row, _meta(path), path)

    @staticmethod
    def _numbers(s: Session, name: str) -> list[int]:
        return [
            int(v)
            for v in s.scalars(select(ModelVersion.version).where(ModelVersion.name == name))
            if v.isdigit()
        ]

    def adopt(self) -> None:
        """Rows for the artefacts on disk that the table does not know (the highest of a name
        with no active version: active), committed on their own so that a change's checks,
        which read the store from other connections, see them."""
        if not self.root.is_dir():
            return
        try:
            with session_scope(self.url) as s:
                self._adopt(s)
        except IntegrityError:  # another worker adopted the same versions first
            pass

    def _adopt(self, s: Session) -> None:
        rows = s.execute(
            select(ModelVersion.name, ModelVersion.version, ModelVersion.artifact_path)
        )
        numbers: dict[str, set[int]] = {}
        paths = set()
        for name, version, path in rows:
            numbers.setdefault(name, set()).add(int(version) if version.isdigit() else 0)
            paths.add(path)
        active = set(
            s.scalars(select(ModelVersion.name).where(ModelVersion.status == PolicyStatus.ACTIVE))
        )
        for base in sorted(p for p in self.root.iterdir() if p.is_dir()):
            found = _artefacts(base)
            if not found:
                continue
            serving = found[-1][1]  # what the registry's rule loads for this name
            taken = numbers.setdefault(base.name, set())
            for number, folder in found:
                if self._stored(folder) in paths:
                    continue
                if not number or number in taken:
                    number = max(taken | {n for n, _ in found} | {0}) + 1
                taken.add(number)
                meta = _meta(folder)
                serves = base.name not in active and folder == serving
                s.add(
                    ModelVersion(
                        name=base.name,
                        version=str(number),
                        kind=str(meta.get("kind", ""))[:8],
                        artifact_path=self._stored(folder),
                        data_hash=meta.get("data_hash"),
                        metrics=meta.get("metrics") or {},
                        status=PolicyStatus.ACTIVE if serves else PolicyStatus.RETIRED,
                        activated_at=_now() if serves else None,
                    )
                )
        s.flush()


def _check_name(name: str) -> None:
    if not name or len(name) > 80 or not all(c.isalnum() or c in "_.-" for c in name):
        raise InvalidInputError("name", f"letters, digits, '_', '.' or '-' (1-80); got {name!r}")
    if name.startswith("."):
        raise InvalidInputError("name", f"must not start with '.'; got {name!r}")


def _load_checked(path: Path) -> dict[str, Any]:
    """The artefact's metadata, once it loads as a model; an artefact that does not load is
    an error naming the files, never a stored version."""
    from zhudai.scorecard.registry import load_model

    try:
        load_model(path)
        meta = _meta(path)
    except Exception as exc:  # the model libraries raise their own types (LightGBMError, ...)
        raise InvalidInputError("files", f"the artefact does not load: {exc}") from exc
    return meta


class StoredModelLoader(RegistryModelLoader):
    """The active stored version of each model name; the registry's rule for names the
    store does not hold."""

    def __init__(self, models: ModelStore, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.models = models

    def resolve(self, ref: ModelRef) -> Path:
        if ref.name not in self.paths:
            active = self.models.active_path(ref.name)
            if active is not None:
                return active
        return super().resolve(ref)

    def stamp(self) -> tuple[int, datetime | None]:
        return self.models.stamp()

    def trying(self, name: str, path: Path) -> StoredModelLoader:
        """This loader with ``name`` read from ``path`` (to compile against a version before
        it is activated)."""
        return StoredModelLoader(self.models, paths={**self.paths, name: path}, root=self.root)
