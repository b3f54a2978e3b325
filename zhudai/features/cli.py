"""``zhudai features``: the feature catalogue, batch computation and the quality report."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from zhudai.exceptions import InvalidInputError, NotFoundError
from zhudai.features.batch import BatchFeatureEngine
from zhudai.features.definitions import (
    AggregateFeature,
    FeatureSet,
    FieldFeature,
    RatioFeature,
    load_feature_set,
)
from zhudai.features.report import LABELS_FILE, feature_report, weak_vs_demographics, write_report
from zhudai.table_files import read_table, table_kind, write_table

app = typer.Typer(
    help="Feature catalogue, batch features and feature quality report.", no_args_is_help=True
)

_DEFINITIONS = typer.Option(
    None, "--definitions", help="Feature-definition YAML (default: the shipped set)."
)


def _feature_set(definitions: Path | None) -> FeatureSet:
    return load_feature_set(definitions)


@app.command("list")
def list_features(
    definitions: Path | None = _DEFINITIONS,
    group: str | None = typer.Option(
        None, help="Only this group (orders, card_txns, demographics ...)."
    ),
    descriptions: bool = typer.Option(
        False, "--descriptions", "-d", help="Add a tab and the description."
    ),
) -> None:
    """Print one feature per line (its name, optionally a tab and its description)."""
    fs = _feature_set(definitions)
    groups = fs.groups()
    if group is not None and group not in groups:
        raise NotFoundError("group", group)
    for f in fs.features:
        if group is None or f.group == group:
            typer.echo(f"{f.name}\t{f.description}" if descriptions else f.name)


@app.command()
def describe(name: str, definitions: Path | None = _DEFINITIONS) -> None:
    """Print the definition of feature NAME."""
    fs = _feature_set(definitions)
    if name not in fs.names:
        raise NotFoundError("feature", name)
    f = fs.get(name)
    lines = [f"name: {f.name}", f"group: {f.group}", f"description: {f.description}"]
    if isinstance(f, AggregateFeature):
        table = fs.tables[f.table]
        lines += [
            "kind: aggregate",
            f"table: {f.table} (entity {table.entity}, time {table.time})",
            f"aggregate: {f.agg.value}",
            f"column: {f.column or '-'}",
            f"filter: {f.filter}"
            + (f" ({d})" if (d := table.filters[f.filter].describe()) else ""),
            f"window: {f.window} days before the application (events strictly before it)",
        ]
    elif isinstance(f, FieldFeature):
        lines += [
            "kind: field",
            f"table: {f.table}",
            f"column: {f.column}",
            f"transform: {f.transform.value}",
        ]
        if f.argument is not None:
            lines.append(f"argument: {f.argument}")
    elif isinstance(f, RatioFeature):
        lines += ["kind: ratio", f"numerator: {f.numerator}", f"denominator: {f.denominator}"]
    lines.append(f"source: {fs.source}")
    typer.echo("\n".join(lines))


@app.command()
def compute(
    out: Path = typer.Option(..., help="Output Parquet file."),
    world: Path | None = typer.Option(
        None, help="World folder (DIR/<table>.parquet); without it, the store's applications."
    ),
    db: str | None = typer.Option(None, "--db", help="SQLAlchemy URL (default: settings)."),
    definitions: Path | None = _DEFINITIONS,
) -> None:
    """Compute batch features for every application of a world folder, or of the store (the
    applications the live pipeline decided, from the provider answers kept for each)."""
    fs = _feature_set(definitions)
    started = time.perf_counter()
    if world is not None:
        frame = BatchFeatureEngine(fs).compute_world(world)
    else:
        from zhudai.origination.backfill import backfill

        frame = backfill(fs, db)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(out)
    typer.echo(
        f"{frame.height:,} applications x {len(fs.names)} features in {time.perf_counter() - started:.1f}s -> {out}"
    )


@app.command()
def report(
    features: Path = typer.Option(
        ..., help="Features Parquet written by `zhudai features compute`."
    ),
    out: Path = typer.Option(..., help="Folder for feature_report.csv and feature_report.html."),
    labels: Path | None = typer.Option(
        None, help="Parquet/CSV with application_id, bad (1 = bad)."
    ),
    world: Path | None = typer.Option(
        None, help=f"A data folder: its {LABELS_FILE} holds the credit labels."
    ),
    definitions: Path | None = _DEFINITIONS,
) -> None:
    """Write missing rate, IV and PSI of every feature, and the weak-data vs demographics AUC."""
    if (labels is None) == (world is None):
        raise InvalidInputError("labels", "give exactly one of --labels FILE or --world DIR")
    frame = read_table(features, "features")
    if labels is not None:
        label_frame = read_table(labels, "labels")
    else:
        label_frame = read_table(world / LABELS_FILE, "world")  # type: ignore[operator]
    fs = _feature_set(definitions)
    table = feature_report(frame, label_frame, fs)
    comparison = weak_vs_demographics(frame, label_frame, fs)
    for path in write_report(table, comparison, out):
        typer.echo(f"wrote {path}")
    typer.echo(comparison.line())


@app.command("backfill")
def backfill_cmd(
    out: Path = typer.Option(..., "--out", help="Parquet or CSV file for the features."),
    definitions: Path | None = _DEFINITIONS,
    engine: str = typer.Option("polars", "--engine", help="polars (one machine) or spark."),
    spark_master: str | None = typer.Option(
        None, "--spark-master", help="Spark master URL (default local[*]), e.g. spark://host:7077."
    ),
    db: str | None = typer.Option(None, "--db", help="SQLAlchemy URL (default: settings)."),
) -> None:
    """Compute features on every application the live pipeline decided, from the provider
    answers kept at decision time: the values the online path would have given then."""
    from zhudai.origination.backfill import backfill

    if engine not in ("polars", "spark"):
        raise InvalidInputError("--engine", f"must be polars or spark; got {engine!r}")
    table_kind(out, "--out")
    started = time.perf_counter()
    frame = backfill(
        _feature_set(definitions),
        db,
        engine=engine,  # type: ignore[arg-type]
        spark_master=spark_master,
    )
    write_table(frame, out, "--out")
    typer.echo(
        f"{frame.width - 2} features x {frame.height:,} applications ({engine}) in "
        f"{time.perf_counter() - started:.1f}s -> {out}"
    )
