"""``item2vec recommend``, ``users``, ``lookalike``, ``similar`` and ``export``: what a trained
model is for, from the shell. Thin: parse, call the library, report what was skipped."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from item2vec import config
from item2vec.cli.app import app, fail
from item2vec.cli.options import BlendWeightOption, DecayOption, NLastOption, SessionWeightOption, TemperatureOption
from item2vec.cli.session_options import EventSpec, session_options
from item2vec.data.files import check_output
from item2vec.scoring import SCORERS, BatchStats, Recommender, ScoringOptions

console = Console(stderr=True)

ENGINES = ("polars", "spark")
Model = Annotated[Path, typer.Argument(help="Model directory written by `item2vec train`.")]


def _load(path: Path):
    from item2vec.model import Item2Vec

    return Item2Vec.load(path)


def _describe(options: ScoringOptions, model) -> str:
    """``blend, n_last 100, decay 0.8, temperature 8, blend_weight 0.2, session_weight 0.5, k 20,
    exclude_seen``."""
    from item2vec.scoring.scorers import blend_weight, get_scorer, session_weight

    blend = get_scorer(options.scorer).takes_blend_weight
    fields = {"n_last": options.n_last, "decay": options.decay, "temperature": options.temperature}
    if blend:
        fields.update(blend_weight=blend_weight(model, options), session_weight=session_weight(model, options))
    fields.update(k=options.k)
    shown = [f"{name} {value:g}" for name, value in fields.items() if value is not None]
    return ", ".join([options.scorer, *shown, "exclude_seen" if options.exclude_seen else "keep_seen"])


def _read_ids(path: Path) -> list[str]:
    """Ids from a text file: whitespace-separated, any number per line."""
    from item2vec.data.corpus import read_lines

    return [token for line in read_lines(path) for token in line.split()]


@app.command()
@session_options
def recommend(
    model: Model,
    out: Annotated[Path, typer.Option(help="Parquet file to write: id, rank, item, score, fallback.")],
    sessions: Annotated[
        Path | None,
        typer.Option(
            help="Sessions: text (one per line, items separated by whitespace, .gz ok) or Parquet with a list column."
        ),
    ] = None,
    events: Annotated[
        Path | None,
        typer.Option(help="Instead of --sessions: an event log, sessionised with the event-log options."),
    ] = None,
    per: Annotated[
        str, typer.Option(help="--events: one list per user (their sessions joined in time order) or per session.")
    ] = "user",
    k: Annotated[int, typer.Option(help="Items per session.")] = config.K,
    scorer: Annotated[
        str | None,
        typer.Option(
            "--scorer",
            help=f"item2vec scorer: {', '.join(SCORERS)} (none: the model's; blend with n_last "
            f"{config.CLICK_SCORING['n_last']} and the weights and decay it chose in training for a model trained "
            f"on sessions, {config.SCORER} with n_last {config.N_LAST} and decay {config.DECAY:g} otherwise).",
        ),
    ] = None,
    n_last: NLastOption = None,
    decay: DecayOption = None,
    temperature: TemperatureOption = None,
    blend_weight: BlendWeightOption = None,
    session_weight: SessionWeightOption = None,
    keep_seen: Annotated[
        bool, typer.Option("--keep-seen", help="Allow items already in the session.")
    ] = not config.SERVING_EXCLUDE_SEEN,
    allow: Annotated[Path | None, typer.Option(help="File of item ids: recommend only these.")] = None,
    deny: Annotated[Path | None, typer.Option(help="File of item ids never to recommend.")] = None,
    items_col: Annotated[str | None, typer.Option(help="Parquet input: the list column of items.")] = None,
    id_col: Annotated[
        str | None,
        typer.Option(
            help="Parquet input: the id column (default: session_id, user_id or id if present, else the row number)."
        ),
    ] = None,
    chunk_size: Annotated[
        int, typer.Option(help="Sessions read, scored and written at a time (bounds memory).")
    ] = config.BATCH_SIZE,
    workers: Annotated[int | None, typer.Option(help="Scoring threads (default: all cores).")] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    engine: Annotated[
        str,
        typer.Option(
            help="polars (this machine, in chunks) or spark (the executors score; Parquet sessions or --events "
            "in, a directory of Parquet parts out)."
        ),
    ] = "polars",
    *,
    events_spec: EventSpec,
):
    """Top-k items for every session (or user) of a file, written to Parquet in chunks (atomically)."""
    from item2vec.data.files import parquet_chunks

    if (sessions is None) == (events is None):
        fail("give the sessions with --sessions FILE or an event log with --events FILE")
    if engine not in ENGINES:
        fail(f"unknown --engine {engine!r}; choose one of {', '.join(ENGINES)}")
    check_output(out, "--out", directory=engine == "spark")
    given = {"k": k, "scorer": scorer, "n_last": n_last, "decay": decay, "temperature": temperature}
    given.update(blend_weight=blend_weight, session_weight=session_weight, exclude_seen=not keep_seen)
    ScoringOptions.for_sessions(**given)  # fail before reading the model
    loaded = _load(model)
    options = ScoringOptions.for_model(loaded, **given)
    console.print(f"scoring: {_describe(options, loaded)}")
    if engine == "spark":
        allowed, denied = (_read_ids(p) if p else None for p in (allow, deny))
        _recommend_on_spark(model, out, sessions, events, per, options, allowed, denied, items_col, id_col, events_spec)
        return
    recommender = Recommender(
        loaded,
        options,
        allow=_read_ids(allow) if allow else None,
        deny=_read_ids(deny) if deny else None,
        workers=workers,
    )
    total_sessions, chunks = _session_source(sessions, events, per, events_spec, chunk_size, items_col, id_col)
    total = BatchStats()
    columns = [TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TextColumn("sessions"), TimeElapsedColumn()]
    with Progress(*columns, console=console, disable=not progress) as bar, parquet_chunks(out) as write:
        task = bar.add_task("scoring", total=total_sessions)
        for ids, chunk in chunks:
            frame, stats = recommender.recommend(chunk, ids)
            write(frame)
            total.add(stats)
            bar.advance(task, stats.sessions)
        if total.sessions and total.fallback_sessions == total.sessions:
            raise ValueError(
                f"{sessions or events}: none of its {total.sessions:,} sessions has an item known to the model "
                f"{model}, so every result would be the popularity fallback; are the file and the model a pair?"
            )
    console.print(f"wrote {out}: top-{k} for {total.sessions:,} {'users' if events and per == 'user' else 'sessions'}")
    _report(total.unknown_items, "item occurrence(s) unknown to the model were skipped")
    _report(total.fallback_sessions, "session(s) had no known item and got the most popular items (fallback=true)")
    _report(total.short_sessions, f"session(s) had fewer than {k} candidates left and got fewer rows")
    _report(recommender.ignored_filter_keys, "allow/deny id(s) unknown to the model were ignored")


def _recommend_on_spark(model, out, sessions, events, per, options, allow, deny, items_col, id_col, events_spec):
    """``recommend --engine spark``: sessions read and scored on Spark, the model directory
    shipped to the executors, the lists written as a directory of Parquet parts."""
    from item2vec.data.spark import spark_errors, spark_session, write_parquet_dir
    from item2vec.scoring.spark import recommend_spark
    from item2vec.sessions.files import is_parquet

    spark = spark_session()
    if sessions is not None:
        if not is_parquet(sessions):
            fail(
                f"--engine spark reads Parquet sessions (a file or a directory of parts), not the text file {sessions}"
            )
        if not sessions.exists():
            raise FileNotFoundError(f"file not found: {sessions}")
        if sessions.is_dir():
            from item2vec.data.files import parquet_parts

            parquet_parts(sessions)  # refuses an incomplete directory
        frame = spark.read.parquet(str(sessions))
    else:
        frame, items_col, id_col = _spark_histories(spark, events, per, events_spec), "items", "id"
    recs = recommend_spark(
        frame, model, options, items_column=items_col or "items", id_column=id_col, allow=allow, deny=deny
    ).persist()
    from pyspark.sql import functions as F

    origin = str(sessions or events)
    with spark_errors(origin):
        n_sessions = frame.count()
        n_fallback = recs.filter(F.col("fallback")).select("id").distinct().count()
    if n_sessions and n_fallback == n_sessions:
        raise ValueError(
            f"{origin}: none of its {n_sessions:,} sessions has an item known to the model "
            f"{model}, so every result would be the popularity fallback; are the file and the model a pair?"
        )
    write_parquet_dir(recs, out)
    console.print(
        f"wrote {out}/: top-{options.k} for {n_sessions:,} {'users' if events and per == 'user' else 'sessions'}"
    )
    _report(n_fallback, "session(s) had no known item and got the most popular items (fallback=true)")


def _lookalike_on_spark(model, users, out, size, seeds, items, method) -> None:
    """``lookalike --engine spark``: user vectors read and scored on Spark, the audience written
    as a directory of Parquet parts."""
    from item2vec.data.spark import spark_session, write_parquet_dir
    from item2vec.scoring.spark import campaign_audience_spark, lookalike_spark

    if not users.exists():
        raise FileNotFoundError(f"file not found: {users}")
    if users.is_dir():
        from item2vec.data.files import parquet_parts

        parquet_parts(users)  # refuses an incomplete directory
    frame = spark_session().read.parquet(str(users))
    if seeds is not None:
        audience, unknown = lookalike_spark(frame, _read_ids(seeds), size, method)
        _report(unknown, f"seed id(s) have no vector in {users} and were ignored")
    else:
        audience, unknown = campaign_audience_spark(_load(model), frame, _read_ids(items), size)
        _report(unknown, "campaign item id(s) unknown to the model were ignored")
    write_parquet_dir(audience, out)
    console.print(f"wrote {out}/: an audience of up to {size:,} users (Parquet parts)")


def _spark_histories(spark, events, per, events_spec):
    """``id, items`` on Spark from an event log, as ``event_histories``: per session (its id) or
    per user (their sessions joined in time order)."""
    from pyspark.sql import functions as F

    from item2vec.sessions.spark import read_events_spark, sessionize_spark

    if per not in ("user", "session"):
        raise ValueError(f"per must be 'user' or 'session', got {per!r}")
    fmt = events_spec.fmt
    result = sessionize_spark(read_events_spark(spark, events, fmt), fmt, events_spec.options, origin=str(events))
    for line in result.summary.lines():
        console.print(line)
    frame = result.frame
    if per == "session":
        return frame.select(F.col("session_id").alias("id"), "items")
    if "user_id" not in frame.columns:
        raise ValueError("recommendations per user need a user column (--user-col); or use --per session")
    ordered = F.sort_array(F.collect_list(F.struct("session_id", "items")))
    return frame.groupBy(F.col("user_id").alias("id")).agg(
        F.flatten(F.transform(ordered, lambda s: s["items"])).alias("items")
    )


def _session_source(sessions, events, per, events_spec, chunk_size, items_col, id_col):
    """``(number of sessions or None, iterator of (ids, sessions) chunks)`` for either input."""
    from item2vec.sessions.files import count_sessions, event_histories, iter_session_chunks

    if sessions is not None:
        return count_sessions(sessions), iter_session_chunks(sessions, chunk_size, items_col, id_col)
    if chunk_size < 1:
        raise ValueError(f"--chunk-size must be >= 1, got {chunk_size}")
    ids, histories, summary = event_histories(events, events_spec.fmt, events_spec.options, per)
    for line in summary:
        console.print(line)
    return len(ids), ((ids[i : i + chunk_size], histories[i : i + chunk_size]) for i in range(0, len(ids), chunk_size))


def _report(count: int, message: str) -> None:
    if count:
        console.print(f"[yellow]note:[/] {count:,} {message}")


@app.command()
def similar(
    model: Model,
    items: Annotated[list[str], typer.Argument(help="Item ids.")],
    k: Annotated[int, typer.Option(help="Neighbours per item.")] = 10,
):
    """The items most similar (cosine) to each given item."""
    loaded = _load(model)
    for item in items:
        table = Table(title=f"nearest to {item}")
        table.add_column("rank", justify="right")
        table.add_column("item")
        table.add_column("cosine", justify="right")
        if loaded.n_cold_:
            table.add_column("cold")
        for rank, (key, score) in enumerate(loaded.similar(item, k), 1):
            cold = ("true" if loaded.is_cold(key) else "",) if loaded.n_cold_ else ()
            table.add_row(str(rank), key, f"{score:.4f}", *cold)
        Console().print(table)


@app.command()
def export(
    model: Model,
    out: Annotated[Path, typer.Argument(help="File to write (npy: also OUT with suffix .keys.json).")],
    format: Annotated[str, typer.Option("--format", help="word2vec, word2vec-binary, parquet or npy.")] = "word2vec",
):
    """Export the item vectors for gensim, Spark, vector databases or NumPy."""
    from item2vec.integrations.export import FORMATS, export_vectors

    if format not in FORMATS:
        fail(f"unknown --format {format!r}; choose one of {', '.join(FORMATS)}")
    check_output(out)
    loaded = _load(model)
    for path in export_vectors(loaded, out, format):
        console.print(f"wrote {path}")


@app.command()
@session_options
def users(
    model: Model,
    events: Annotated[
        Path, typer.Option(help="Event log (CSV/TSV, .gz ok, or Parquet) read with the event-log options.")
    ],
    out: Annotated[Path, typer.Option(help="Parquet file to write: user, n_events, vector.")],
    half_life_days: Annotated[
        float, typer.Option(help="An event this many days older than the user's latest counts half.")
    ] = config.HALF_LIFE_DAYS,
    *,
    events_spec: EventSpec,
):
    """One vector per user: the recency- and event-type-weighted mean of their items' vectors.
    Only the column, event-type and event-weight options apply; sessions play no part."""
    from item2vec.data.files import write_parquet
    from item2vec.scoring.audiences import user_vectors_from_log

    check_output(out, "--out")
    options = events_spec.options
    frame, stats = user_vectors_from_log(
        _load(model), events, events_spec.fmt, options.event_types, options.event_weights, half_life_days
    )
    write_parquet(frame, out)
    console.print(f"wrote {out}: {stats.users:,} users from {stats.events:,} events")
    _report(stats.skipped_events, "event(s) on items unknown to the model were skipped")
    _report(stats.users_without_known_item, "user(s) had no event on a known item and got no vector")


@app.command()
def lookalike(
    model: Model,
    users: Annotated[Path, typer.Option(help="User vectors written by `item2vec users`.")],
    out: Annotated[Path, typer.Option(help="Parquet file to write: user, rank, score.")],
    size: Annotated[int, typer.Option(help="Users in the audience.")],
    seeds: Annotated[
        Path | None, typer.Option(help="File of seed user ids to expand (excluded from the audience).")
    ] = None,
    items: Annotated[
        Path | None, typer.Option(help="Instead of seeds: a campaign's item ids; picks the users closest to them.")
    ] = None,
    method: Annotated[
        str, typer.Option(help="centroid (cosine to the seeds' mean) or max (best cosine to any seed).")
    ] = "centroid",
    workers: Annotated[int | None, typer.Option(help="Threads for --method max (default: all cores).")] = None,
    engine: Annotated[
        str,
        typer.Option(help="polars (this machine) or spark (users scored on the executors; a directory of parts out)."),
    ] = "polars",
):
    """Expand a seed audience to the most similar users, or find the audience of a campaign's items."""
    from item2vec.data.files import write_parquet
    from item2vec.scoring.audiences import campaign_audience, read_user_vectors
    from item2vec.scoring.audiences import lookalike as expand

    if (seeds is None) == (items is None):
        fail("give either --seeds FILE (user ids) or --items FILE (a campaign's item ids)")
    if engine not in ENGINES:
        fail(f"unknown --engine {engine!r}; choose one of {', '.join(ENGINES)}")
    check_output(out, "--out", directory=engine == "spark")
    if engine == "spark":
        _lookalike_on_spark(model, users, out, size, seeds, items, method)
        return
    ids, vectors = read_user_vectors(users)
    if seeds is not None:
        audience, unknown = expand(ids, vectors, _read_ids(seeds), size, method, workers)
        _report(unknown, f"seed id(s) have no vector in {users} and were ignored")
    else:
        audience, unknown = campaign_audience(_load(model), ids, vectors, _read_ids(items), size)
        _report(unknown, "campaign item id(s) unknown to the model were ignored")
    write_parquet(audience, out)
    console.print(f"wrote {out}: {audience.height:,} users")
