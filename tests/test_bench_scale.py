"""scripts/bench_scale.py's pieces that need no stack: the CPU reading from /proc and the capacity arithmetic."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from scripts.bench_scale import Assumptions, capacity_table, cores_needed, machines, peak_rate, session_cpu


def test_session_cpu_counts_a_service_and_its_children() -> None:
    # a service (its own session, as bot.stack starts them) whose child burns CPU: both are counted
    busy = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.6:\n    pass\n"
    parent = f"import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', {busy + 'time.sleep(30)'!r}])\n{busy}"
    proc = subprocess.Popen([sys.executable, "-c", parent + "time.sleep(30)\n"], start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while session_cpu([proc.pid])[proc.pid] < 1.1:
            assert time.monotonic() < deadline, "the child's and the parent's CPU were not both counted"
            time.sleep(0.1)
        assert session_cpu([proc.pid, 999_999_999]) == pytest.approx(
            {proc.pid: session_cpu([proc.pid])[proc.pid], 999_999_999: 0.0}, abs=0.05
        )
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the service and its child
        proc.wait()


def test_capacity_arithmetic() -> None:
    a = Assumptions(
        residents_per_commune=10_000, active_share=0.1, messages_per_active=8, peak_hour_share=0.2, headroom=2
    )
    # 3,321 × 10,000 × 0.1 × 8 × 0.2 / 3600 = 1476 msg/s
    assert peak_rate(3321, a) == pytest.approx(1476.0)
    assert peak_rate(1, a) == pytest.approx(1476.0 / 3321)
    cores = cores_needed(1476.0, {"gateway": 200.0, "actions": 20.0}, a.headroom)
    assert cores == pytest.approx({"gateway": 14.76, "actions": 147.6})
    assert machines(162.36, 2) == 82 and machines(0.01, 2) == 1
    table = "\n".join(capacity_table({"gateway": 200.0, "actions": 20.0}, a))
    assert "1476.0 msg/s" in table and "actions 1476.0 / 20.0 × 2 = 147.6 cores" in table
