"""Measurements shared by the benchmarks: peak memory and CPU time of the current process."""

from __future__ import annotations

import resource
from pathlib import Path

#: The public datasets (``../shared/data`` beside the repository).
SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB, from VmHWM. Not getrusage's ru_maxrss: Linux
    carries ru_maxrss over exec, so a benchmark worker would report at least its parent's size."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024  # kB


def cpu_seconds() -> float:
    """CPU time of this process, all threads: robust to other load on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def srgnn_validation(dataset: str, pairs: int):
    """``(train, validation)`` for choosing settings on an SR-GNN training file: its sessions less
    the last ``config.VALIDATION_FRACTION``, and at most ``pairs`` next-item pairs (0: all) from
    those held out. The test file is never read."""
    from item2vec import config
    from item2vec.evaluation import NextItemTask, read_training_sessions, split_last_sessions

    corpus = read_training_sessions(SHARED_DATA / f"{dataset}_srgnn_train_sessions.txt.gz")
    train, held_out = split_last_sessions(corpus, config.VALIDATION_FRACTION)
    return train, NextItemTask.from_sessions(held_out, train.vocab, name="validation").subsample(pairs)
