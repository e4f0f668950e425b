"""``item2vec phrases`` and ``item2vec evaluate-text``: text corpora and the word-vector
benchmarks. Thin: parse, call ``item2vec.text`` / ``phrases`` / ``wordeval``, print."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from item2vec.cli.app import app, fail
from item2vec.data.files import check_output
from item2vec.text import phrases as ph
from item2vec.text import reader as tx

console = Console(stderr=True)

Tokenize = Annotated[
    str,
    typer.Option(
        help=f"How lines become tokens: {', '.join(tx.TOKENIZERS)} (text8 = a-z only, digits spelled "
        f"out, <doc> markup removed)."
    ),
]


def read_text(
    path: Path,
    tokenize: str,
    phrase_passes: int = 0,
    threshold: float = ph.THRESHOLD,
    min_count: int = ph.MIN_COUNT,
    cache: Path | None = None,
):
    """Read and tokenise a text file, join phrases, report what was read; returns the corpus
    (memory-mapped from the corpus directory ``cache`` when given)."""
    corpus = tx.read_corpus(path, tokenize, cache=cache)
    console.print(f"read {path}: {len(corpus):,} sentences, {corpus.n_tokens:,} tokens, {len(corpus.vocab):,} distinct")
    if phrase_passes:
        corpus = ph.find_phrases(corpus, phrase_passes, threshold, min_count)
        n_phrases = sum(ph.DELIMITER in key for key in corpus.vocab.keys)
        console.print(
            f"after {phrase_passes} phrase pass(es): {corpus.n_tokens:,} tokens, "
            f"{len(corpus.vocab):,} distinct, {n_phrases:,} of them containing '{ph.DELIMITER}'"
        )
        if cache is not None:  # the phrase pass works in memory; training reads its result from disk again
            corpus.save(cache)
            corpus = type(corpus).load(cache)
    return corpus


@app.command()
def phrases(
    source: Annotated[Path, typer.Argument(help="Text file to read (.gz ok), one sentence per line.")],
    out: Annotated[Path, typer.Argument(help="Text file to write: one sentence per line, phrases joined with '_'.")],
    tokenize: Tokenize = "whitespace",
    passes: Annotated[int, typer.Option(help="Phrase passes; each can extend phrases by one word.")] = 1,
    threshold: Annotated[
        float, typer.Option(help="Join a b when (count(ab) - min_count) * N / (count(a) count(b)) exceeds this.")
    ] = ph.THRESHOLD,
    min_count: Annotated[int, typer.Option(help="Words and bigrams seen fewer times never join.")] = ph.MIN_COUNT,
):
    """Detect phrases as word2vec's word2phrase (new york -> new_york) and write the corpus."""
    if passes < 1:
        fail(f"--passes must be >= 1, got {passes}")
    check_output(out)
    corpus = read_text(source, tokenize, passes, threshold, min_count)
    n = tx.write_sentences(tx.corpus_sentences(corpus), out)
    console.print(f"wrote {out}: {len(corpus):,} lines, {n:,} tokens")


@app.command("evaluate-text")
def evaluate_text(
    model: Annotated[Path, typer.Argument(help="Model directory written by `item2vec train`.")],
    analogies: Annotated[
        Path | None, typer.Option(help="Analogy file (questions-words format: ': section' lines, then 'a b c d').")
    ] = None,
    similarity: Annotated[
        list[Path] | None, typer.Option(help="Word-pair file 'w1 w2 score' (WordSim-353, SimLex-999); repeatable.")
    ] = None,
    query: Annotated[
        list[str] | None,
        typer.Option(help="Words to combine, '-' marks a negative one: --query 'king woman -man'; repeatable."),
    ] = None,
    restrict_vocab: Annotated[int, typer.Option(help="Analogies: answer among this many most frequent words.")] = 30000,
    topn: Annotated[int, typer.Option(help="Neighbours shown per query.")] = 10,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write all results to this JSON file.")] = None,
):
    """Word-vector benchmarks: analogy accuracy per section, Spearman on word-pair similarity,
    and nearest words of positive/negative queries."""
    from item2vec.model import Item2Vec
    from item2vec.text import wordeval

    if analogies is None and not similarity and not query:
        fail("nothing to evaluate: give --analogies FILE, --similarity FILE and/or --query 'words'")
    if json_out is not None:
        check_output(json_out, "--json")
    vectors = Item2Vec.load(model)
    results: dict = {"model": str(model)}
    out = Console()
    if analogies is not None:
        result = wordeval.evaluate_analogies(vectors, analogies, restrict_vocab=restrict_vocab)
        out.print(_analogy_table(result))
        results["analogies"] = result.to_dict()
    if similarity:
        rows = [wordeval.evaluate_similarity(vectors, path) for path in similarity]
        out.print(_similarity_table(rows))
        results["similarity"] = [row.to_dict() for row in rows]
    for text in query or []:
        words = text.split()
        positive = [w for w in words if not w.startswith("-")]
        negative = [w[1:] for w in words if w.startswith("-") and len(w) > 1]
        neighbours = wordeval.most_similar(vectors, positive, negative, topn=topn)
        out.print(f"[bold]{text}[/]: " + ", ".join(f"{k} {s:.3f}" for k, s in neighbours))
        results.setdefault("queries", {})[text] = neighbours
    if json_out is not None:
        _write_json(results, json_out)


def _analogy_table(result) -> Table:
    table = Table(title=f"Analogies {result.path} (answers among the {result.restrict_vocab:,} most frequent words)")
    table.add_column("section", min_width=max([len(s.name) for s in result.sections] + [7]))
    for column in ("accuracy", "correct", "of", "skipped"):
        table.add_column(column, justify="right")
    for s in result.sections:
        table.add_row(s.name, _pct(s.accuracy), f"{s.correct:,}", f"{s.questions:,}", f"{s.skipped:,}")
    table.add_row(
        "[bold]total[/]",
        f"[bold]{_pct(result.accuracy)}[/]",
        f"{result.correct:,}",
        f"{result.questions:,}",
        f"{result.skipped:,}",
    )
    table.caption = "skipped: questions with a word outside the vocabulary"
    if result.malformed:
        table.caption += (
            f"; {result.malformed:,} malformed line(s) ignored (first: {', '.join(map(str, result.malformed_lines))})"
        )
    return table


def _similarity_table(rows) -> Table:
    table = Table(title="Word-pair similarity")
    for column in ("file", "Spearman", "Pearson", "pairs", "unknown-word pairs", "malformed"):
        table.add_column(column, justify="left" if column == "file" else "right")
    for r in rows:
        table.add_row(
            Path(r.path).name, _num(r.spearman), _num(r.pearson), f"{r.pairs:,}", f"{r.oov:,}", f"{r.malformed:,}"
        )
    return table


def _pct(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2%}"


def _num(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.4f}"


def _write_json(results: dict, path: Path) -> None:
    from item2vec.data.files import atomic_path

    def finite(value):  # JSON has no NaN: an undefined figure is null
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, dict):
            return {k: finite(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [finite(v) for v in value]
        return value

    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(finite(results), indent=2))
