"""bench threads: how fast the embedded model decodes with each torch thread count, on a quiet
machine and with one core busy, in one run.

    python3 master_forge.py bench threads [--threads 1,2] [--tokens N] [--rounds N]

Each measurement is a fresh process (torch's thread team is per process) that loads the
embedded model on the compute thread with ``TELOS_TORCH_THREADS=N``, warms it, and times a
greedy answer of ``--tokens`` pieces. "busy" runs the same with a spinning process (nice 0) on
one core — another program, an index build, a test suite. Rounds alternate quiet and busy and
every thread count, so drifting load hits them alike; the table prints medians and each cell's
ratio to the service's default count (``telos.compute.threads()``) on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHILD = r"""
import sys, time
from telos import compute
from telos.llm.embedded import EmbeddedBackend
tokens = int(sys.argv[1])
b = EmbeddedBackend()
msgs = [{"role": "user", "content": "Write a long story about a robot who learns to paint."}]
"".join(b.chat(msgs, options={"num_predict": 8, "temperature": 0}))
t = time.perf_counter()
n = sum(1 for _ in b.chat(msgs, options={"num_predict": tokens, "temperature": 0}))
print(n / (time.perf_counter() - t), compute.call(lambda: __import__("torch").get_num_threads()))
"""


def _spinner() -> subprocess.Popen:
    """A process that keeps one core busy (pinned to the last CPU this one may use)."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(proc.pid, {cpus[-1]})
    return proc


def _rate(threads: int, tokens: int) -> float:
    env = dict(os.environ, TELOS_TORCH_THREADS=str(threads), PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", CHILD, str(tokens)], env=env, cwd=REPO,
                         capture_output=True, text=True, check=True).stdout.split()
    rate, used = float(out[0]), int(out[1])
    if used != threads:
        raise SystemExit(f"the child ran torch with {used} threads, not {threads}")
    return rate


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench threads")
    ap.add_argument("--threads", default="1,2", help="torch thread counts to compare")
    ap.add_argument("--tokens", type=int, default=64, help="pieces per timed answer")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from telos import compute
    counts = [int(n) for n in args.threads.split(",")]
    default = compute.threads()
    cpus = len(os.sched_getaffinity(0))
    rates: dict[tuple[int, str], list[float]] = {}
    for r in range(args.rounds):
        for load in ("quiet", "busy"):
            spin = _spinner() if load == "busy" else None
            try:
                for n in counts:
                    t = time.perf_counter()
                    rates.setdefault((n, load), []).append(_rate(n, args.tokens))
                    print(f"round {r + 1}/{args.rounds} {load:5} threads {n}: "
                          f"{rates[(n, load)][-1]:5.1f} pieces/s ({time.perf_counter() - t:.0f} s)",
                          file=sys.stderr, flush=True)
            finally:
                if spin is not None:
                    spin.kill()
                    spin.wait()
    base_key = (default, "quiet") if (default, "quiet") in rates else (counts[0], "quiet")
    base = statistics.median(rates[base_key])
    print(f"embedded model decoding, {args.tokens} greedy pieces, median of {args.rounds}; "
          f"{cpus} CPUs, default {default} thread(s); ratio to threads {base_key[0]} quiet")
    print(f"{'threads':>7} {'quiet p/s':>10} {'ratio':>6} {'busy p/s':>9} {'ratio':>6}")
    for n in counts:
        q, b = (statistics.median(rates[(n, load)]) for load in ("quiet", "busy"))
        mark = "  <- default" if n == default else ""
        print(f"{n:>7} {q:10.1f} {q / base:6.2f} {b:9.1f} {b / base:6.2f}{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
