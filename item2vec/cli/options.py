"""Hyperparameter options shared by every command that trains, declared once.

``@hyperparameter_options`` appends one Typer option per ``Item2Vec`` hyperparameter (defaults
from ``item2vec.config``) to a command and hands them to it as a single ``hyper`` dict.
``option_group`` builds such decorators for other option families (``cli/session_options.py``).
"""

from __future__ import annotations

import functools
import inspect
import typing
from pathlib import Path
from typing import Annotated

import typer

from item2vec import config
from item2vec.scoring import SCORERS

#: The scoring options of every command that scores (``recommend``, ``evaluate``), declared once;
#: None leaves a field to the model (``ScoringOptions.for_model``: on sessions the click scoring with
#: the blend weight, decay and session weight the model chose in ``fit``).
ScorerOption = Annotated[
    str | None, typer.Option("--scorer", help=f"item2vec scorer: {', '.join(SCORERS)} (default: the model's).")
]
NLastOption = Annotated[int | None, typer.Option("--n-last", help="Recent items the scorers use (not 'last').")]
DecayOption = Annotated[
    float | None,
    typer.Option(
        "--decay", help="Weight ratio between consecutive recent items (blend's default: the model's choice)."
    ),
]
BlendWeightOption = Annotated[
    float | None,
    typer.Option(
        "--blend-weight",
        help="blend: the share of each item's next items on its observed successors, 0-1 (none: the "
        f"weight the model chose in training; {config.BLEND_WEIGHT:g} for models that did not choose).",
    ),
]
SessionWeightOption = Annotated[
    float | None,
    typer.Option(
        "--session-weight",
        help="blend: the share of each session's next items on the items of its nearest training sessions, "
        f"0-1 (none: the share the model chose in training; {config.SESSION_WEIGHT:g} for models that did not "
        "choose, 0 for models without the sessions).",
    ),
]
TemperatureOption = Annotated[
    float | None,
    typer.Option(
        "--temperature",
        help="Mixture scorers: how sharply weight falls with distance (none: the scorer's default, "
        f"{config.NEIGHBOURS_TEMPERATURE:g} for neighbours, {config.MIXTURE_TEMPERATURE:g} for mixture, "
        f"{config.CLICK_SCORING['temperature']:g} for blend, the click scoring).",
    ),
]

_PANEL = "Hyperparameters (gensim names; unset: the preset's value)"
#: Help per preset-dependent hyperparameter, and the flags of the booleans.
_PRESET_OPTIONS = {
    "vector_size": (int, "Vector dimension.", ()),
    "window": (int, "Maximum distance between an item and its context.", ()),
    "negative": (int, "Noise items drawn per positive example.", ()),
    "ns_exponent": (float, "Negatives drawn ~ count**ns_exponent (may be negative).", ()),
    "sample": (float, "Subsampling threshold for frequent items (0 = off).", ()),
    "min_count": (int, "Drop items seen fewer times.", ()),
    "epochs": (int, "Passes over the corpus.", ()),
    "alpha": (float, "Initial learning rate.", ()),
    "min_alpha": (float, "Final learning rate.", ()),
    "sg": (bool, "Skip-gram or CBOW.", ("--sg/--cbow",)),
    "shrink_windows": (bool, "Sample each window size in [1, window].", ("--shrink-windows/--no-shrink-windows",)),
    "forward_window": (
        bool,
        "Window contexts only before each item: an item's vector predicts what follows it (click order).",
        ("--forward-window/--no-forward-window",),
    ),
    "whole_sentence": (
        bool,
        "Use the whole session as context (order-free baskets).",
        ("--whole-sentence/--no-whole-sentence",),
    ),
    "both_contexts": (
        bool,
        "Train half of each vector on the window and half on the whole session (two runs, "
        "concatenated): what comes next and what belongs together.",
        ("--both-contexts/--no-both-contexts",),
    ),
    "context_samples": (
        int,
        "Session context: train each item on this many random other items of its session per epoch, "
        "not all of them (0 = all; skip-gram only).",
        (),
    ),
}


def _preset_values(name: str) -> str:
    """``(clicks: 1, text: 5)``: what each preset gives an unset option."""
    return "(" + ", ".join(f"{preset}: {values[name]}" for preset, values in config.PRESETS.items()) + ")"


_OPTIONS = {  # name: (type, default, help, flag declarations)
    "preset": (
        str,
        "auto",
        f"Defaults for every hyperparameter left unset: {', '.join(config.PRESETS)} or auto (clicks for event logs "
        "and session files, text for --text).",
        (),
    ),
    **{
        name: (kind | None, None, f"{text} {_preset_values(name)}", decls)
        for name, (kind, text, decls) in _PRESET_OPTIONS.items()
    },
    "max_final_vocab": (int | None, config.MAX_FINAL_VOCAB, "Keep at most this many items.", ()),
    "attribute_weight": (
        float,
        config.ATTRIBUTE_WEIGHT,
        "With item attributes: an attribute's step relative to an item context's.",
        (),
    ),
    "group_negatives": (
        str | None,
        None,
        "With item attributes: an attribute column (e.g. category) naming each item's group; each positive "
        "example also draws --group-negative-count negatives from the centre item's own group.",
        (),
    ),
    "group_negative_count": (
        int,
        config.GROUP_NEGATIVE_COUNT,
        "With --group-negatives: in-group negatives per positive example, besides --negative noise items.",
        (),
    ),
    "workers": (int | None, config.WORKERS, "Training threads (default: all cores).", ()),
    "seed": (int, config.SEED, "Random seed (bit-identical results with --workers 1).", ()),
}


def option_group(param: str, options: dict, panel: str, build=dict):
    """Decorator factory: append one Typer option per entry of ``options`` (``name: (type, default,
    help, flag declarations)``) to a command, and pass their values to it as ``param=build(values)``.
    Groups stack: a command may take several (e.g. hyperparameters and event-log options)."""

    def decorate(command):
        signature = inspect.signature(command)
        hints = typing.get_type_hints(command, include_extras=True)
        own = [
            p.replace(annotation=hints.get(p.name, p.annotation))
            for p in signature.parameters.values()
            if p.name != param
        ]
        added = []
        for name, (kind, default, help_text, decls) in options.items():
            option = typer.Option(*decls, help=help_text, rich_help_panel=panel)
            added.append(
                inspect.Parameter(
                    name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[kind, option]
                )
            )

        @functools.wraps(command)
        def wrapper(**kwargs):
            values = {name: kwargs.pop(name) for name in options}
            return command(**{param: build(values)}, **kwargs)

        wrapper.__signature__ = signature.replace(parameters=own + added)
        wrapper.__annotations__ = {p.name: p.annotation for p in own + added}
        return wrapper

    return decorate


#: Decorate a command taking ``hyper: dict`` so the CLI shows one option per hyperparameter.
hyperparameter_options = option_group("hyper", _OPTIONS, _PANEL)


_EARLY_STOP_OPTIONS = {  # name: (type, default, help, flag declarations)
    "early_stop": (
        bool,
        False,
        "Score --validation every --check-every epochs (NDCG@20, the click scoring), stop when it has not "
        "improved for --patience checks, keep the best check's vectors.",
        ("--early-stop/--no-early-stop",),
    ),
    "validation": (
        Path | None,
        None,
        "--early-stop: validation pairs 'prefix items<TAB>next item' per line (the SR-GNN test format), "
        "e.g. the last sessions of the training period, never the test.",
        (),
    ),
    "check_every": (int, config.EARLY_STOP_EVERY, "--early-stop: epochs between validation checks.", ()),
    "patience": (int, config.EARLY_STOP_PATIENCE, "--early-stop: checks without improvement before it stops.", ()),
}


def _early_stop_settings(values: dict) -> dict | None:
    """``{"validation": file, "every": n, "patience": n}``, or None without ``--early-stop``; a
    wrong combination, value or validation file fails here, before any data is read."""
    from item2vec.evaluation.early_stopping import EarlyStopping

    if not values["early_stop"]:
        if values["validation"] is not None:
            raise ValueError("--validation is only read with --early-stop")
        return None
    if values["validation"] is None:
        raise ValueError(
            "--early-stop needs validation data: --validation FILE ('prefix items<TAB>next item' per line, "
            "held out from the training period)"
        )
    settings = {"validation": str(values["validation"]), "every": values["check_every"], "patience": values["patience"]}
    for name, option in (("every", "--check-every"), ("patience", "--patience")):
        if settings[name] < 1:
            raise ValueError(f"{option} must be a positive integer, got {settings[name]}")
    EarlyStopping.from_settings(settings)
    return settings


#: Decorate a command taking ``early_stop: dict | None`` with the early-stopping options.
early_stop_options = option_group("early_stop", _EARLY_STOP_OPTIONS, "Early stopping", build=_early_stop_settings)
