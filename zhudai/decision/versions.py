"""Policy versions in the store: publish, activate, roll back, and load by name or hash.

A publish compiles the document (every load-time check) and runs the cases it carries; only a
policy that passes is written, as the next version, in state ``draft``. Activation retires the
previously active version in the same transaction. A malformed or failing policy therefore
never reaches the table, let alone replaces the active version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from zhudai.decision.document import PolicyDocument
from zhudai.decision.engine import CompiledPolicy, compile_policy
from zhudai.decision.loaders import FilePolicyLoader, ModelLoader
from zhudai.decision.source import PolicySource, parse_document, read_source
from zhudai.decision.testing import run_policy_tests
from zhudai.exceptions import DefinitionError, NotFoundError
from zhudai.store.db import session_scope
from zhudai.store.models import PolicyStatus, PolicyVersion


@dataclass(frozen=True)
class PolicyInfo:
    """One stored version, without its text."""

    name: str
    version: int
    status: str
    content_hash: str
    created_at: datetime | None
    activated_at: datetime | None

    @classmethod
    def of(cls, row: PolicyVersion) -> PolicyInfo:
        return cls(
            row.name,
            row.version,
            PolicyStatus(row.status).value,
            row.content_hash,
            row.created_at,
            row.activated_at,
        )


#: ``audit(conn, info)`` runs inside the change's transaction, so its entry commits with it.
ChangeHook = Callable[[Connection, PolicyInfo], None]


def _activated(row: PolicyVersion) -> datetime:
    return row.activated_at or datetime.min


class PolicyStore:
    """Versioned policies in the ``policy_versions`` table (also a loader for sub-policies)."""

    def __init__(
        self,
        url: str | None = None,
        *,
        model_loader: ModelLoader | None = None,
        apr_cap: float | None = None,
    ) -> None:
        self.url = url
        self.model_loader = model_loader
        self.apr_cap = apr_cap
        self.files = FilePolicyLoader()

    # -- loading -------------------------------------------------------------------------
    def _row(self, name: str, version: int | None) -> PolicyVersion:
        with session_scope(self.url) as s:
            q = select(PolicyVersion).where(PolicyVersion.name == name)
            q = (
                q.where(PolicyVersion.version == version)
                if version is not None
                else q.where(PolicyVersion.status == PolicyStatus.ACTIVE)
            )
            row = s.scalars(q).first()
        if row is None:
            raise NotFoundError("policy", f"{name}@{version if version is not None else 'active'}")
        return row

    def get(
        self, name: str, version: int | None = None
    ) -> tuple[PolicySource, PolicyDocument, int]:
        """A stored version (default: the active one) as source, document and version number."""
        row = self._row(name, version)
        source = read_source(row.document, origin=f"store:{name}@{row.version}")
        return source, parse_document(source), row.version

    def models_stamp(self) -> object:
        """Changes when a stored model version is published or activated (None: the models
        do not come from the store)."""
        from zhudai.decision.model_versions import StoredModelLoader

        loader = self.model_loader
        return loader.stamp() if isinstance(loader, StoredModelLoader) else None

    def active_hash(self, name: str) -> str | None:
        """Content hash of the active version (a cheap check for hot reload)."""
        with session_scope(self.url) as s:
            return s.scalar(
                select(PolicyVersion.content_hash).where(
                    PolicyVersion.name == name, PolicyVersion.status == PolicyStatus.ACTIVE
                )
            )

    def load(self, name: str) -> tuple[PolicySource, PolicyDocument]:
        """Loader protocol: the active version, else the shipped file (sub-policies)."""
        try:
            source, doc, _ = self.get(name)
        except NotFoundError:
            return self.files.load(name)
        return source, doc

    def by_hash(
        self, pinned: dict[str, str]
    ) -> Callable[[str], tuple[PolicySource, PolicyDocument]]:
        """A resolver that returns sub-policies with the exact content hashes a record names."""

        def resolve(name: str) -> tuple[PolicySource, PolicyDocument]:
            want = pinned.get(name)
            if want is None:
                return self.load(name)
            with session_scope(self.url) as s:
                row = s.scalars(
                    select(PolicyVersion).where(
                        PolicyVersion.name == name, PolicyVersion.content_hash == want
                    )
                ).first()
            if row is not None:
                source = read_source(row.document, origin=f"store:{name}@{row.version}")
                return source, parse_document(source)
            source, doc = self.files.load(name)
            if source.content_hash != want:
                raise NotFoundError(f"sub-policy {name}", f"hash {want[:12]}")
            return source, doc

        return resolve

    def compile(
        self,
        source: PolicySource,
        doc: PolicyDocument,
        version: int | None = None,
        resolve: Callable[[str], tuple[PolicySource, PolicyDocument]] | None = None,
    ) -> CompiledPolicy:
        return compile_policy(
            source,
            doc,
            resolve=resolve or self.load,
            model_loader=self.model_loader,
            apr_cap=self.apr_cap,
            version=version,
        )

    def compiled(self, name: str, version: int | None = None) -> CompiledPolicy:
        source, doc, number = self.get(name, version)
        return self.compile(source, doc, number)

    # -- changing ------------------------------------------------------------------------
    def publish(
        self, text: str, origin: str = "<text>", *, audit: ChangeHook | None = None
    ) -> PolicyInfo:
        """Check, test and store ``text`` as the next version (``draft``).

        Raises
        ------
        DefinitionError
            The policy is malformed, fails a load-time check or one of its own cases.
        """
        source = read_source(text, origin=origin)
        doc = parse_document(source)
        compiled = compile_policy(source, doc, resolve=self.load, apr_cap=self.apr_cap)
        report = run_policy_tests(compiled) if doc.tests else None
        if report is not None and not report.passed:
            failed = [f"{r.name}: {'; '.join(r.problems)}" for r in report.results if not r.passed]
            raise DefinitionError(doc.name, f"policy cases fail: {failed}", source=origin)
        with session_scope(self.url) as s:
            same = s.scalars(
                select(PolicyVersion).where(
                    PolicyVersion.name == doc.name,
                    PolicyVersion.content_hash == source.content_hash,
                )
            ).first()
            if same is not None:
                return _audited(s, PolicyInfo.of(same), audit)
            last = s.scalar(
                select(func.max(PolicyVersion.version)).where(PolicyVersion.name == doc.name)
            )
            row = PolicyVersion(
                name=doc.name,
                version=(last or 0) + 1,
                content_hash=source.content_hash,
                document=text,
                status=PolicyStatus.DRAFT,
            )
            s.add(row)
            s.flush()
            return _audited(s, PolicyInfo.of(row), audit)

    def activate(self, name: str, version: int, *, audit: ChangeHook | None = None) -> PolicyInfo:
        """Make ``version`` the active one; the previously active version is retired."""
        with session_scope(self.url) as s:
            target = s.scalars(
                select(PolicyVersion).where(
                    PolicyVersion.name == name, PolicyVersion.version == version
                )
            ).first()
            if target is None:
                raise NotFoundError("policy", f"{name}@{version}")
            for row in s.scalars(
                select(PolicyVersion).where(
                    PolicyVersion.name == name, PolicyVersion.status == PolicyStatus.ACTIVE
                )
            ):
                if row.version != version:
                    row.status = PolicyStatus.RETIRED
            target.status = PolicyStatus.ACTIVE
            target.activated_at = datetime.now(UTC).replace(tzinfo=None)
            s.flush()
            return _audited(s, PolicyInfo.of(target), audit)

    def rollback(self, name: str, *, audit: ChangeHook | None = None) -> PolicyInfo:
        """Re-activate the version that was active before the current one."""
        with session_scope(self.url) as s:
            rows = s.scalars(
                select(PolicyVersion).where(
                    PolicyVersion.name == name, PolicyVersion.activated_at.is_not(None)
                )
            ).all()
            current = next((r for r in rows if r.status == PolicyStatus.ACTIVE), None)
            until = _activated(current) if current is not None else datetime.max
            earlier = [r for r in rows if r is not current and _activated(r) <= until]
        if not earlier:
            raise NotFoundError("previous active version of policy", name)
        previous = max(earlier, key=lambda r: (_activated(r), r.version))
        return self.activate(name, previous.version, audit=audit)

    def versions(self, name: str | None = None) -> list[PolicyInfo]:
        with session_scope(self.url) as s:
            q = select(PolicyVersion).order_by(PolicyVersion.name, PolicyVersion.version)
            if name is not None:
                q = q.where(PolicyVersion.name == name)
            return [PolicyInfo.of(r) for r in s.scalars(q)]


def _audited(s: Session, info: PolicyInfo, audit: ChangeHook | None) -> PolicyInfo:
    if audit is not None:
        audit(s.connection(), info)
    return info
