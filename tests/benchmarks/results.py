"""Where the benchmarks keep their figures: ``var/bench/results.json``, one entry per benchmark
(merged, so each run of one benchmark replaces only its own), with the machine and the time."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "var" / "bench" / "results.json"


def machine() -> dict:
    memory = ""
    try:
        with open("/proc/meminfo") as meminfo:
            memory = meminfo.readline().split(":", 1)[1].strip()
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def record(name: str, figures: dict) -> Path:
    """Keep ``figures`` as benchmark ``name``'s latest result."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    found = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    found[name] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **figures,
    }
    RESULTS.write_text(json.dumps(found, indent=2, sort_keys=True) + "\n")
    return RESULTS
