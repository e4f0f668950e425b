"""Comparison tables as text."""

from __future__ import annotations


def markdown_table(frame, digits: int = 4) -> str:
    """A Polars DataFrame as a GitHub Markdown table (floats rounded)."""

    def cell(value):
        return f"{value:.{digits}f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join(lines) + "\n"
