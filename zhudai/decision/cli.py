"""``zhudai policy ...`` (author, test, publish, back-test) and ``zhudai decision ...`` (replay, show).

A policy argument is either a YAML file or ``name`` / ``name@version`` in the store. Models
are found through ``--model NAME=DIR`` (repeatable), else under the policy's ``path`` relative
to the zhudai home folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from sqlalchemy import select

from zhudai.audit.changes import version_change
from zhudai.decision.backtest import LGD, backtest
from zhudai.decision.engine import CompiledPolicy, compile_policy
from zhudai.decision.loaders import FilePolicyLoader, RegistryModelLoader, shipped_policy_files
from zhudai.decision.replay import replay
from zhudai.decision.source import read_policy_file
from zhudai.decision.testing import run_policy_tests
from zhudai.decision.versions import PolicyStore
from zhudai.exceptions import DefinitionError, InvalidInputError, NotFoundError
from zhudai.settings import get_settings
from zhudai.store.db import session_scope
from zhudai.store.migrate import upgrade
from zhudai.store.models import DecisionRecord
from zhudai.table_files import read_pandas_table

policy_app = typer.Typer(
    help="Author, test, publish and back-test decision policies.", no_args_is_help=True
)
decision_app = typer.Typer(help="Inspect and replay stored decisions.", no_args_is_help=True)

ModelOpt = typer.Option([], "--model", help="NAME=DIR of a model artefact (repeatable).")
DbOpt = typer.Option(None, "--db", help="SQLAlchemy URL (default: settings).")


def _models(pairs: list[str]) -> RegistryModelLoader:
    paths = {}
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or not name or not path:
            raise InvalidInputError("--model", f"must be NAME=DIR; got {pair!r}")
        paths[name] = path
    return RegistryModelLoader(paths, root=get_settings().home)


def _store(db: str | None, models: list[str] | None = None) -> PolicyStore:
    """The store at ``db`` (migrated); models are loaded only when ``models`` is given."""
    upgrade(db)
    return PolicyStore(db, model_loader=_models(models) if models is not None else None)


def _compile_file(path: Path, loader: RegistryModelLoader | None) -> CompiledPolicy:
    source, doc = read_policy_file(path)
    siblings = FilePolicyLoader(path.parent)
    shipped = FilePolicyLoader()

    def resolve(name: str):  # type: ignore[no-untyped-def]
        try:
            return siblings.load(name)
        except NotFoundError:
            return shipped.load(name)

    return compile_policy(source, doc, resolve=resolve, model_loader=loader)


def _policy(ref: str, models: list[str], db: str | None) -> CompiledPolicy:
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        return _compile_file(path, _models(models))
    name, _, version = ref.partition("@")
    return _store(db, models).compiled(name, int(version) if version else None)


@policy_app.command("test")
def test_cmd(
    paths: list[Path] = typer.Argument(None, help="Policy files (default: every shipped policy)."),
) -> None:
    """Run the cases each policy carries; report rule/row coverage; exit 1 on any failure."""
    files = list(paths or shipped_policy_files())
    failed = 0
    for path in files:
        try:
            policy = _compile_file(Path(path), None)
        except DefinitionError as exc:  # a policy that does not load fails its tests
            typer.echo(f"FAIL {Path(path).name}: {exc}")
            failed += 1
            continue
        report = run_policy_tests(policy)
        for r in report.results:
            mark = "PASS" if r.passed else "FAIL"
            typer.echo(
                f"{mark} {report.policy}: {r.name}"
                + ("" if r.passed else f" -- {'; '.join(r.problems)}")
            )
        if not report.results:
            typer.echo(f"FAIL {report.policy}: carries no test cases")
        typer.echo(
            f"{report.policy}: {sum(r.passed for r in report.results)}/{len(report.results)} cases pass, "
            f"coverage {report.coverage:.0%} ({len(report.coverable) - len(report.uncovered())}/{len(report.coverable)} rules/rows)"
        )
        if report.uncovered():
            typer.echo(f"  not covered: {', '.join(report.uncovered())}")
        failed += not report.passed
    if failed:
        typer.echo(f"{failed} of {len(files)} policies fail")
        raise typer.Exit(1)


@policy_app.command("validate")
def validate_cmd(path: Path) -> None:
    """Schema, expression, table and APR-cap checks of one policy file (no models needed)."""
    policy = _compile_file(path, None)
    typer.echo(
        f"ok: {policy.name} ({len(policy.steps)} steps, {len(policy.coverage_ids())} rules/rows, hash {policy.content_hash[:12]})"
    )


@policy_app.command("publish")
def publish_cmd(
    path: Path,
    activate: bool = typer.Option(False, help="Activate the new version."),
    db: str | None = DbOpt,
) -> None:
    """Store a policy file as the next version (after its checks and cases pass)."""
    if not path.is_file():
        raise InvalidInputError("path", f"{path} does not exist")
    store = _store(db)
    text = path.read_text(encoding="utf-8")
    info = store.publish(text, origin=path.name, audit=version_change("policy.publish"))
    typer.echo(f"published {info.name}@{info.version} ({info.content_hash[:12]})")
    if activate:
        info = store.activate(info.name, info.version, audit=version_change("policy.activate"))
        typer.echo(f"active: {info.name}@{info.version}")


@policy_app.command("activate")
def activate_cmd(
    name: str,
    version: int = typer.Option(None, help="Version (default: the latest)."),
    db: str | None = DbOpt,
) -> None:
    """Make a stored version the active one."""
    store = _store(db)
    if version is None:
        versions = store.versions(name)
        if not versions:
            raise NotFoundError("policy", name)
        version = versions[-1].version
    store.compiled(name, version)  # a version that no longer compiles is refused here
    info = store.activate(name, version, audit=version_change("policy.activate"))
    typer.echo(f"active: {info.name}@{info.version}")


@policy_app.command("rollback")
def rollback_cmd(name: str, db: str | None = DbOpt) -> None:
    """Re-activate the version that was active before the current one."""
    info = _store(db).rollback(name, audit=version_change("policy.rollback"))
    typer.echo(f"rolled back: {info.name}@{info.version} is active")


@policy_app.command("list")
def list_cmd(name: str = typer.Argument(None), db: str | None = DbOpt) -> None:
    """Stored versions with their status."""
    for info in _store(db).versions(name):
        when = info.activated_at.isoformat(timespec="seconds") if info.activated_at else "-"
        typer.echo(
            f"{info.name}@{info.version}\t{info.status}\t{info.content_hash[:12]}\tactivated {when}"
        )


@policy_app.command("backtest")
def backtest_cmd(
    policy: str = typer.Option(..., "--policy", help="File or name[@version] of policy A."),
    against: str = typer.Option(None, "--against", help="File or name[@version] of policy B."),
    data: Path = typer.Option(
        ..., "--data", help="CSV or Parquet of applications (inputs + features)."
    ),
    target: str = typer.Option("bad", help="Observed outcome column (1 = bad), where known."),
    lgd: float = typer.Option(LGD, help="Loss given default for expected profit."),
    models: list[str] = ModelOpt,
    db: str | None = DbOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Approval rate, expected/observed bad rate, swap-in/swap-out and expected profit."""
    frame = read_pandas_table(data, "--data")
    a = _policy(policy, models, db)
    b = _policy(against, models, db) if against else None
    report = backtest(a, frame, against=b, target=target, lgd=lgd)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), default=str))
        return
    for line in report.lines():
        typer.echo(line)


@decision_app.command("replay")
def replay_cmd(
    ids: list[str] = typer.Option(
        [], "--id", help="Decision ids (default: every stored decision)."
    ),
    version: int = typer.Option(None, "--version", help="Replay under this policy version."),
    limit: int = typer.Option(None, help="At most this many decisions."),
    models: list[str] = ModelOpt,
    db: str | None = DbOpt,
) -> None:
    """Re-run stored decisions under the version in force then (or --version) and show differences."""
    store = _store(db)
    paths = {k: str(v) for k, v in _models(models).paths.items()}
    report = replay(
        store, decision_ids=ids or None, version=version, limit=limit, model_paths=paths
    )
    for line in report.lines():
        typer.echo(line)
    if version is None and not report.exact:
        raise typer.Exit(1)


@decision_app.command("decide")
def decide_cmd(
    policy: str = typer.Option(..., "--policy", help="File or name[@version] of the policy."),
    input_path: Path = typer.Option(..., "--input", help="JSON file: one application (object)."),
    models: list[str] = ModelOpt,
    db: str | None = DbOpt,
) -> None:
    """Decide one application (nothing is stored) and print the record as JSON."""
    if not input_path.is_file():
        raise InvalidInputError("--input", f"{input_path} does not exist")
    application = json.loads(input_path.read_text(encoding="utf-8"))
    if not isinstance(application, dict):
        raise InvalidInputError("--input", "must hold one JSON object")
    typer.echo(
        json.dumps(
            _policy(policy, models, db).decide(application).record(), ensure_ascii=False, indent=1
        )
    )


@decision_app.command("show")
def show_cmd(decision_id: str, db: str | None = DbOpt) -> None:
    """A stored decision: outcome, reasons and the explanation of every rule and row."""
    _store(db)
    with session_scope(db) as s:
        row = s.scalars(
            select(DecisionRecord).where(DecisionRecord.decision_id == decision_id)
        ).first()
        if row is None:
            raise NotFoundError("decision", decision_id)
        record = row.record
    typer.echo(
        f"{decision_id}: {record['outcome']} limit {record['credit_limit']} apr {record['apr']} "
        f"term {record['term_months']} reasons {record['reason_codes']} "
        f"[{record['policy']['name']}@{record['policy']['version']} {record['variant']}]"
    )
    for adverse, points in record.get("adverse_reasons", []):
        typer.echo(f"  adverse: {adverse} (-{points:.1f} points)")
    for t in record.get("trace", []):
        typer.echo(f"  {t['step']}: {t['why']}")
