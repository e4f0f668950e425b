"""``item2vec train`` and ``item2vec demo``."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from item2vec import config
from item2vec.cli.app import app, fail, report_tracking, show_warning
from item2vec.cli.options import early_stop_options, hyperparameter_options
from item2vec.cli.session_options import EventSpec, session_options
from item2vec.cli.text import Tokenize, read_text
from item2vec.data.files import check_output

console = Console(stderr=True)
PRESET_KEYS = tuple(config.TEXT_PRESET)


@app.command()
@hyperparameter_options
@early_stop_options
@session_options
def train(
    out: Annotated[Path, typer.Option(help="Model directory to write (replaced atomically).")],
    text: Annotated[
        Path | None, typer.Option(help="Text file, one sentence or session per line (.gz ok); see --tokenize.")
    ] = None,
    tokenize: Tokenize = "whitespace",
    phrases: Annotated[
        int, typer.Option(help="--text: passes of word2phrase phrase detection before training (0 = none).")
    ] = 0,
    events: Annotated[
        Path | None,
        typer.Option(help="Event log (CSV/TSV, .gz ok, or Parquet), sessionised with the event-log options."),
    ] = None,
    sessions: Annotated[
        Path | None,
        typer.Option(
            help="Sessions file: one session per line (.gz ok; e.g. SR-GNN train files) or the Parquet "
            "`item2vec sessions` writes."
        ),
    ] = None,
    corpus_dir: Annotated[
        Path | None,
        typer.Option(
            "--corpus", help="Corpus directory written by --corpus-cache (or Corpus.save), memory-mapped for training."
        ),
    ] = None,
    corpus_cache: Annotated[
        Path | None,
        typer.Option(
            help="Write the corpus to this directory as it is read (int32 ids, see README) and train from it "
            "memory-mapped: memory holds the model, not the corpus. For corpora larger than memory; "
            "reuse it with --corpus DIR."
        ),
    ] = None,
    item_attributes: Annotated[
        Path | None,
        typer.Option(
            help="Item attributes (CSV/TSV/Parquet): item id, then one attribute per column, '|' between several "
            "values. Trained with the items; items in no event become cold items with vectors from their attributes."
        ),
    ] = None,
    attr_item_col: Annotated[
        str | None, typer.Option(help="--item-attributes: the item id column (default: the first).")
    ] = None,
    warm_start: Annotated[
        Path | None,
        typer.Option(
            help="Continue from this model directory with the new data (a warm refresh): its items keep their "
            "vectors, new items start from attributes or at random, unset hyperparameters take its values."
        ),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    track: Annotated[
        bool, typer.Option("--track/--no-track", help="Record the run in MLflow (parameters, loss curve, model).")
    ] = False,
    experiment: Annotated[str, typer.Option(help="MLflow experiment name (with --track).")] = "item2vec-train",
    *,
    hyper: dict,
    early_stop: dict | None,
    events_spec: EventSpec,
):
    """Train item vectors and save the model directory. Click data (--events, --sessions) gets the
    clicks preset, text the text preset, unless --preset says otherwise."""
    from item2vec.evaluation.early_stopping import EarlyStopping, describe
    from item2vec.integrations.tracking import Tracker
    from item2vec.model import Item2Vec

    if sum(source is not None for source in (text, events, sessions, corpus_dir)) != 1:
        fail("give the training data with one of --text FILE, --events FILE, --sessions FILE or --corpus DIR")
    if corpus_cache is not None and corpus_dir is not None:
        fail("--corpus DIR is already a corpus directory: leave out --corpus-cache")
    check_output(out, "--out", directory=True)
    if corpus_cache is not None:
        check_output(corpus_cache, "--corpus-cache", directory=True)
    model = Item2Vec(**hyper)
    model._validate_params("text" if text is not None else "sessions")  # bad options fail before any reading
    warnings.showwarning = show_warning
    attributes = None
    if item_attributes is not None:
        from item2vec.data.attributes import read_item_attributes

        attributes = read_item_attributes(item_attributes, attr_item_col)  # a bad file fails before the events
        if hyper["group_negatives"] is not None:
            try:
                attributes.values_of(hyper["group_negatives"])
            except ValueError as exc:
                fail(f"--group-negatives: {exc}")
    elif attr_item_col is not None:
        fail("--attr-item-col needs --item-attributes FILE")
    elif hyper["group_negatives"] is not None:
        fail("--group-negatives needs --item-attributes FILE (its column names each item's group)")
    from item2vec.refresh import inherit

    old = None
    if warm_start is not None:
        try:
            old = Item2Vec.load(warm_start, mmap=False)  # a wrong model fails before the events are read
        except (FileNotFoundError, ValueError) as exc:
            fail(f"--warm-start: {exc}")
        inherit(model.resolve()[1], model.get_params(), old.params_, str(warm_start))
    if text is not None:
        corpus = read_text(text, tokenize, phrases, cache=corpus_cache)
    elif sessions is not None:
        from item2vec.sessions.files import read_session_corpus

        corpus = read_session_corpus(sessions, cache=corpus_cache)
    elif corpus_dir is not None:
        from item2vec.data.corpus import Corpus

        corpus = Corpus.load(corpus_dir)
    else:
        from item2vec.sessions import sessionize

        log = sessionize(events, events_spec.fmt, events_spec.options)
        for line in log.summary.lines():
            console.print(line)
        corpus = log.corpus()
        if corpus_cache is not None:  # sessionising holds the log anyway; training then holds only the model
            corpus.save(corpus_cache)
            corpus = type(corpus).load(corpus_cache)
    preset, params = model.resolve(corpus.kind)
    if old is not None:
        preset, params = (
            f"of {warm_start} (warm refresh)",
            inherit(params, model.get_params(), old.params_, str(warm_start)),
        )
    console.print(f"preset {preset}: " + ", ".join(f"{k} {v}" for k, v in params.items() if k in PRESET_KEYS))
    tracker = Tracker(experiment, enabled=track)
    with tracker.run(f"train {text or events or sessions or corpus_dir}", tags={"command": "train"}):
        tracker.log_params({**params, "preset": preset, "data": text or events or sessions or corpus_dir})
        stopping = EarlyStopping.from_settings(early_stop) if early_stop else None
        model.fit(corpus, progress=progress, item_attributes=attributes, warm_start=old, early_stopping=stopping)
        model.save(out)
        tracker.log_training_log(model.training_log_, model.validation_log_)
        tracker.log_artifact_dir(out, "model")
    if model.validation_log_:
        console.print(describe(model.validation_log_, int(model.params_["epochs"])))
    if model.blend_weight_ is not None:
        console.print(
            f"click scoring: blend weight {model.blend_weight_:g} (the share of observed successors), decay "
            f"{model.recency_decay_:g} and session weight {model.session_weight_:g} (the share of the nearest "
            f"training sessions' items), chosen on the last {config.BLEND_CALIBRATION_FRACTION:.0%} of the training "
            "sessions"
        )
    last = model.training_log_[-1]
    cold = f" ({model.n_cold_:,} cold, from {len(model.attribute_keys_):,} attribute values)" if attributes else ""
    console.print(
        f"saved {out}: {len(model):,} items{cold} x {model.vector_size_} "
        f"(last epoch: loss {last['mean_loss']:.4f}, {last['words_per_second']:,.0f} words/s)"
    )
    report_tracking(tracker)
