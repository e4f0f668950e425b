"""Hyperparameter options shared by every command that trains, declared once.

``@hyperparameter_options`` appends one Typer option per ``Item2Vec`` hyperparameter (defaults
from ``item2vec.config``) to a command and hands them to it as a single ``hyper`` dict.
``option_group`` builds such decorators for other option families (``cli/session_options.py``).
"""

from __future__ import annotations

import functools
import inspect
import typing
from typing import Annotated

import typer

from item2vec import config

_PANEL = "Hyperparameters (gensim names)"
_OPTIONS = {  # name: (type, default, help, flag declarations)
    "vector_size": (int, config.VECTOR_SIZE, "Vector dimension.", ()),
    "window": (int, config.WINDOW, "Maximum distance between an item and its context.", ()),
    "negative": (int, config.NEGATIVE, "Noise items drawn per positive example.", ()),
    "ns_exponent": (float, config.NS_EXPONENT, "Negatives drawn ~ count**ns_exponent (may be negative).", ()),
    "sample": (float, config.SAMPLE, "Subsampling threshold for frequent items (0 = off).", ()),
    "min_count": (int, config.MIN_COUNT, "Drop items seen fewer times.", ()),
    "max_final_vocab": (int | None, config.MAX_FINAL_VOCAB, "Keep at most this many items.", ()),
    "epochs": (int, config.EPOCHS, "Passes over the corpus.", ()),
    "alpha": (float, config.ALPHA, "Initial learning rate.", ()),
    "min_alpha": (float, config.MIN_ALPHA, "Final learning rate.", ()),
    "sg": (bool, config.SG, "Skip-gram or CBOW.", ("--sg/--cbow",)),
    "shrink_windows": (bool, config.SHRINK_WINDOWS, "Sample each window size in [1, window].", ()),
    "whole_sentence": (bool, config.WHOLE_SENTENCE, "Use the whole session as context (order-free baskets).", ()),
    "both_contexts": (
        bool,
        config.BOTH_CONTEXTS,
        "Train half of each vector on the window and half on the whole session (two runs, "
        "concatenated): what comes next and what belongs together.",
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
