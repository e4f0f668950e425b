"""Measurements shared by the benchmarks: peak memory and CPU time of the current process."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB, from VmHWM. Not getrusage's ru_maxrss: Linux
    carries ru_maxrss over exec, so a benchmark worker would report at least its parent's size."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024  # kB


def cpu_seconds() -> float:
    """CPU time of this process, all threads: robust to other load on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
