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


def fail(message: str) -> None:
    """Print a one-line error to stderr and exit with code 2."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)
