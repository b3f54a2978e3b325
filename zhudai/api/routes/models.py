"""``/v1/models``: list, publish, activate and roll back model versions. Activating one
recompiles every serving policy with it first; the other workers swap within the API's sync
interval."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from zhudai.api.deps import Caller, Keep, Svc, change_hook, require
from zhudai.api.errors import ERROR_RESPONSES
from zhudai.api.routes.policies import VersionActivate, utc
from zhudai.decision.model_versions import ARTEFACT_FILES, ModelInfo
from zhudai.exceptions import InvalidInputError
from zhudai.store.models import ApiRole

router = APIRouter(prefix="/v1/models", tags=["models"], responses=ERROR_RESPONSES)
Name = Path(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_\-][A-Za-z0-9_.\-]*$")
#: An artefact file's base64 text, at most about 48 MB of file.
MAX_FILE_B64 = 64_000_000


class ModelPublic(BaseModel):
    name: str
    version: int
    status: str
    kind: str
    model_type: str
    features: int = Field(description="How many features the model reads.")
    data_hash: str | None = None
    created_at: datetime | None = None
    activated_at: datetime | None = None

    @classmethod
    def of(cls, info: ModelInfo) -> ModelPublic:
        fields = {k: getattr(info, k) for k in cls.model_fields}
        return cls(**fields | {k: utc(fields[k]) for k in ("created_at", "activated_at")})


class ModelCreate(BaseModel):
    name: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_\-][A-Za-z0-9_.\-]*$")
    files: dict[str, str] = Field(
        description=f"The artefact's files, base64: {', '.join(ARTEFACT_FILES)} "
        "(model.json required), as `zhudai card train` writes them.",
        max_length=len(ARTEFACT_FILES),
    )

    def decoded(self) -> dict[str, bytes]:
        out = {}
        for file, text in self.files.items():
            if len(text) > MAX_FILE_B64:
                raise InvalidInputError(f"files.{file}", "larger than an artefact file may be")
            try:
                out[file] = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise InvalidInputError(f"files.{file}", f"not base64: {exc}") from exc
        return out


@router.get("", response_model=list[ModelPublic])
def list_versions(caller: Caller, svc: Svc) -> list[ModelPublic]:
    require(caller, ApiRole.ANALYST)
    return [ModelPublic.of(i) for i in svc.origination.decisions.models().versions()]


@router.post("", response_model=ModelPublic)
def publish(body: ModelCreate, caller: Caller, svc: Svc, keep: Keep) -> ModelPublic:
    """Store the artefact as the next version of its name (draft), once it loads."""
    require(caller)
    hook = change_hook(caller, "model.publish", ModelPublic.of, keep)
    info = svc.origination.decisions.models().publish(body.name, body.decoded(), audit=hook)
    return ModelPublic.of(info)


@router.post("/{name}/activate", response_model=ModelPublic)
def activate(
    body: VersionActivate, caller: Caller, svc: Svc, keep: Keep, name: str = Name
) -> ModelPublic:
    require(caller)
    hook = change_hook(caller, "model.activate", ModelPublic.of, keep)
    info = svc.origination.decisions.activate_model(name, body.version, audit=hook)
    svc.origination.refresh()
    return ModelPublic.of(info)


@router.post("/{name}/rollback", response_model=ModelPublic)
def rollback(caller: Caller, svc: Svc, keep: Keep, name: str = Name) -> ModelPublic:
    require(caller)
    hook = change_hook(caller, "model.rollback", ModelPublic.of, keep)
    info = svc.origination.decisions.rollback_model(name, audit=hook)
    svc.origination.refresh()
    return ModelPublic.of(info)
