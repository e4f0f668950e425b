"""The Typer application every command module registers on, and the one-line error exit."""

from __future__ import annotations

import sys

import typer

app = typer.Typer(
    help="Item vectors from behaviour sequences: sessions, training, evaluation, recommendations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def report_tracking(tracker) -> None:
    """The last line of a tracked command, on stderr and unwrapped (to copy): where its MLflow run
    is and the ``mlflow ui`` command that shows it, or that tracking failed."""
    line = tracker.summary()
    if line:
        print(line, file=sys.stderr)


def fail(message: str) -> None:
    """Print a one-line error to stderr and exit with code 2."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """``warnings.showwarning`` for the CLI: one yellow line on stderr, no source location."""
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True).print(f"[yellow]warning:[/] {escape(str(message))}")
