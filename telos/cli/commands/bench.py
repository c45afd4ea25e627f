"""``bench NAME``: run bench/bench_NAME.py (each prints ratios against a same-run baseline)."""

from __future__ import annotations

import argparse
import importlib.util
import sys

from telos.config import REPO_ROOT

BENCH_DIR = REPO_ROOT / "bench"


def available() -> list[str]:
    return sorted(p.stem[len("bench_"):] for p in BENCH_DIR.glob("bench_*.py"))


def run(args) -> int:
    names = available()
    if args.name not in names:
        print(f"no benchmark {args.name!r}; available: {', '.join(names)}", file=sys.stderr)
        return 2
    path = BENCH_DIR / f"bench_{args.name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{args.name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # classes defined in a benchmark must be picklable
    spec.loader.exec_module(module)
    rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
    return int(module.main(rest) or 0)


def register(sub) -> None:
    p = sub.add_parser("bench", help=f"run a benchmark ({', '.join(available())})",
                       description="Run bench/bench_NAME.py; extra arguments go to the benchmark.")
    p.add_argument("name", help=f"one of: {', '.join(available())}")
    p.add_argument("rest", nargs=argparse.REMAINDER, help="arguments for the benchmark")
    p.set_defaults(func=run, log_name="bench")
