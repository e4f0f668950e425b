"""The ``item2vec`` command. Each command family lives in its own module and registers on
``app``; ``main`` turns library errors into one-line messages with exit code 2, never a traceback
(Ctrl-C: exit code 130).
Typer itself reports bad options (also exit code 2)."""

from __future__ import annotations

import sys

from item2vec.cli import demo, evaluate, recommend, sessions, text, train  # noqa: F401  (each import registers its commands)
from item2vec.cli.app import app, fail


def main() -> None:
    try:
        app()
    except KeyError as exc:
        fail(str(exc.args[0]) if exc.args else "unknown key")
    except (ValueError, OSError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)  # the shell's code for SIGINT, so scripts see the run was stopped
