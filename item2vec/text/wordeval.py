"""The classic word-vector benchmarks: analogies (``questions-words``), word-pair similarity
(WordSim-353, SimLex-999) and ``most_similar`` with positive and negative words.

Every function takes a *model*: anything with ``index_to_key`` (keys, most frequent first) and
``vectors`` (one row per key), such as ``Item2Vec`` or gensim's ``KeyedVectors``, so the same
code scores both. The rules follow gensim's ``evaluate_word_analogies`` and
``evaluate_word_pairs``, so figures are comparable: case-insensitive matching where the most
frequent spelling of a word stands for it, analogies solved by 3CosAdd over the
``restrict_vocab`` most frequent words with the three question words excluded, questions with an
unknown word skipped and counted. Malformed lines (wrong number of fields, a score that is not a
number, bytes that are not UTF-8) are counted and reported, never fatal.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from item2vec.model import top_k
from item2vec.text.reader import open_binary

#: Rows of question vectors scored against the vocabulary at once (bounds memory).
_BATCH = 1024


# ---- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnalogySection:
    name: str
    correct: int
    questions: int  # questions evaluated (all four words known)
    skipped: int  # questions with a word outside the restricted vocabulary

    @property
    def accuracy(self) -> float:
        return self.correct / self.questions if self.questions else float("nan")


@dataclass(frozen=True)
class AnalogyResult:
    path: str
    restrict_vocab: int
    sections: tuple[AnalogySection, ...]
    malformed: int = 0
    malformed_lines: tuple[int, ...] = field(default=())  # the first few line numbers, 1-based

    @property
    def correct(self) -> int:
        return sum(s.correct for s in self.sections)

    @property
    def questions(self) -> int:
        return sum(s.questions for s in self.sections)

    @property
    def skipped(self) -> int:
        return sum(s.skipped for s in self.sections)

    @property
    def accuracy(self) -> float:
        """Correct share of the evaluated questions (gensim's "Total accuracy")."""
        return self.correct / self.questions if self.questions else float("nan")

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "restrict_vocab": self.restrict_vocab,
            "accuracy": self.accuracy,
            "correct": self.correct,
            "questions": self.questions,
            "skipped": self.skipped,
            "malformed": self.malformed,
            "malformed_lines": list(self.malformed_lines),
            "sections": [
                {
                    "name": s.name,
                    "accuracy": s.accuracy,
                    "correct": s.correct,
                    "questions": s.questions,
                    "skipped": s.skipped,
                }
                for s in self.sections
            ],
        }


@dataclass(frozen=True)
class SimilarityResult:
    path: str
    spearman: float
    pearson: float
    pairs: int  # pairs scored
    oov: int  # pairs with a word outside the vocabulary
    malformed: int = 0
    malformed_lines: tuple[int, ...] = field(default=())

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "spearman": self.spearman,
            "pearson": self.pearson,
            "pairs": self.pairs,
            "oov": self.oov,
            "malformed": self.malformed,
            "malformed_lines": list(self.malformed_lines),
        }


# ---- most_similar -------------------------------------------------------------------------------


def most_similar(
    model,
    positive: str | Sequence[str] = (),
    negative: str | Sequence[str] = (),
    topn: int = 10,
    restrict_vocab: int | None = None,
) -> list[tuple[str, float]]:
    """The ``topn`` keys closest (cosine) to the mean of the unit vectors of ``positive`` minus
    those of ``negative`` (3CosAdd: ``most_similar(["king", "woman"], ["man"])`` -> queen),
    the query words themselves excluded. Only the ``restrict_vocab`` most frequent keys are
    candidates when given. Unknown words raise ``KeyError`` naming them."""
    positive = [positive] if isinstance(positive, str) else list(positive)
    negative = [negative] if isinstance(negative, str) else list(negative)
    if not positive and not negative:
        raise ValueError("most_similar needs at least one positive or negative word")
    if isinstance(topn, bool) or not isinstance(topn, (int, np.integer)) or topn < 1:
        raise ValueError(f"topn must be a positive integer, got {topn!r}")
    keys = list(model.index_to_key)
    index = {key: i for i, key in reversed(list(enumerate(keys)))}
    unknown = [w for w in positive + negative if w not in index]
    if unknown:
        raise KeyError(f"not in the vocabulary: {', '.join(map(repr, unknown))}")
    limit = len(keys) if restrict_vocab is None else min(int(restrict_vocab), len(keys))
    rows = [index[w] for w in positive + negative]
    signs = np.array([1.0] * len(positive) + [-1.0] * len(negative))
    query = (signs[:, None] * _unit(model.vectors[rows])).sum(axis=0)
    scores = (_unit(model.vectors[:limit]) @ query.astype(np.float32)).astype(np.float64)
    scores /= max(float(np.linalg.norm(query)), 1e-12)
    scores[[row for row in rows if row < limit]] = -np.inf
    return top_k(scores, topn, keys)


# ---- analogies ----------------------------------------------------------------------------------


def evaluate_analogies(model, path, restrict_vocab: int = 30000, case_insensitive: bool = True) -> AnalogyResult:
    """Accuracy on an analogy file (``: section`` lines, then ``a b c d`` questions: a is to b
    as c is to d), per section and in total, as gensim's ``evaluate_word_analogies``: the
    answer is the best of the ``restrict_vocab`` most frequent words by 3CosAdd
    (``b - a + c``), excluding ``a``, ``b`` and ``c``."""
    keys = list(model.index_to_key)[:restrict_vocab]
    fold = str.upper if case_insensitive else str
    canonical_of = {fold(key): i for i, key in reversed(list(enumerate(keys)))}  # most frequent wins
    canonical = np.array([canonical_of[fold(key)] for key in keys], dtype=np.int64)
    names: list[str] = []
    skipped: list[int] = []
    questions: list[tuple[int, int, int, int, int]] = []  # section, a, b, c, expected
    malformed: list[int] = []
    for line_no, line in _lines(path):
        if line is None:
            malformed.append(line_no)
            continue
        if line.startswith(":"):
            names.append(line[1:].strip())
            skipped.append(0)
            continue
        if not line.strip():
            continue
        words = line.split()
        if len(words) != 4:
            malformed.append(line_no)
            continue
        if not names:  # questions before any header get a section of their own
            names.append("(no section)")
            skipped.append(0)
        rows = [canonical_of.get(fold(word)) for word in words]
        if None in rows:
            skipped[-1] += 1
        else:
            questions.append((len(names) - 1, *rows))
    correct = np.zeros(len(names), dtype=np.int64)
    evaluated = np.zeros(len(names), dtype=np.int64)
    if questions:
        q = np.array(questions, dtype=np.int64)
        hits = _solve_analogies(_unit(model.vectors[: len(keys)]), canonical, q[:, 1], q[:, 2], q[:, 3]) == q[:, 4]
        np.add.at(correct, q[:, 0], hits)
        np.add.at(evaluated, q[:, 0], 1)
    sections = tuple(AnalogySection(n, int(c), int(e), s) for n, c, e, s in zip(names, correct, evaluated, skipped))
    return AnalogyResult(str(path), int(restrict_vocab), sections, len(malformed), tuple(malformed[:10]))


def _solve_analogies(
    unit: np.ndarray, canonical: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray
) -> np.ndarray:
    """Predicted row (canonical) of ``b - a + c`` for each question: among the 5 best rows other
    than a, b and c, the first whose word is not a spelling of a, b or c, else the 5th (as
    gensim); -1 when nothing can be predicted."""
    predicted = np.full(len(a), -1, dtype=np.int64)
    n_best = min(5, len(unit))
    for start in range(0, len(a), _BATCH):
        rows = slice(start, start + _BATCH)
        qa, qb, qc = a[rows], b[rows], c[rows]
        scores = (unit[qb] - unit[qa] + unit[qc]) @ unit.T
        batch = np.arange(len(qa))
        for excluded in (qa, qb, qc):
            scores[batch, excluded] = -np.inf
        best = np.argpartition(-scores, n_best - 1, axis=1)[:, :n_best]
        best = np.take_along_axis(best, np.argsort(-np.take_along_axis(scores, best, axis=1), axis=1), axis=1)
        finite = np.isfinite(np.take_along_axis(scores, best, axis=1))
        spelled = canonical[best]
        allowed = finite & (spelled != qa[:, None]) & (spelled != qb[:, None]) & (spelled != qc[:, None])
        first = np.where(allowed.any(axis=1), allowed.argmax(axis=1), finite.sum(axis=1) - 1)
        predicted[rows] = np.where(first >= 0, spelled[batch, np.maximum(first, 0)], -1)
    return predicted


# ---- word-pair similarity -----------------------------------------------------------------------


def evaluate_similarity(model, path, restrict_vocab: int = 300000, case_insensitive: bool = True) -> SimilarityResult:
    """Spearman (and Pearson) correlation between the human scores of a word-pair file
    (``word1 word2 score`` per line, tab- or space-separated, ``#`` comments) and the model's
    cosine similarities, over the pairs whose words are among the ``restrict_vocab`` most
    frequent; pairs with an unknown word are counted in ``oov``."""
    from scipy import stats

    keys = list(model.index_to_key)[:restrict_vocab]
    fold = str.upper if case_insensitive else str
    row_of = {fold(key): i for i, key in reversed(list(enumerate(keys)))}
    gold, first, second = [], [], []
    oov = 0
    malformed: list[int] = []
    for line_no, line in _lines(path):
        if line is not None and (not line.strip() or line.startswith("#")):
            continue
        fields = None if line is None else line.rstrip("\r\n").split("\t" if "\t" in line else None)
        score = _number(fields[2]) if fields is not None and len(fields) == 3 else None
        if score is None:
            malformed.append(line_no)
            continue
        rows = row_of.get(fold(fields[0].strip())), row_of.get(fold(fields[1].strip()))
        if None in rows:
            oov += 1
            continue
        gold.append(score)
        first.append(rows[0])
        second.append(rows[1])
    if len(gold) >= 2:
        unit = _unit(model.vectors[: len(keys)])
        cosine = np.einsum("ij,ij->i", unit[first], unit[second]).astype(np.float64)
        spearman = float(stats.spearmanr(gold, cosine).statistic)
        pearson = float(stats.pearsonr(gold, cosine).statistic)
    else:
        spearman = pearson = float("nan")
    return SimilarityResult(str(path), spearman, pearson, len(gold), oov, len(malformed), tuple(malformed[:10]))


# ---- helpers ------------------------------------------------------------------------------------


def _unit(rows) -> np.ndarray:
    """Rows scaled to unit length (float32)."""
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.maximum(norms, np.float32(1e-12))


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _lines(path) -> Iterator[tuple[int, str | None]]:
    """``(line number, text)`` of a UTF-8 file (gzip detected by content); ``None`` for a line
    that is not valid UTF-8."""
    with open_binary(path) as fh:
        try:
            for line_no, raw in enumerate(fh, 1):
                try:
                    yield line_no, raw.decode("utf-8")
                except UnicodeDecodeError:
                    yield line_no, None
        except (OSError, EOFError) as exc:
            raise ValueError(f"{path}: cannot read ({exc})") from None
