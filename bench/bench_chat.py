"""bench chat: the embedded model answering through the service vs called directly, same run.

    python3 master_forge.py bench chat [--rounds N] [--tokens N] [--query TEXT]

A real service (``serve --file``, embedded backend) on a temporary home answers over the real
bridge; the baseline is the same orchestrator and persona called in this process (its own copy
of the weights). For 1 and for 4 concurrent clients, in alternating blocks (direct, bridge,
direct, bridge, …) so that background load hits both alike, it prints the median time to the
first token, the aggregate pieces per second (a piece ≈ one token) and the ratios bridge ÷
direct. With 4 clients the model answers one request at a time (first come, first served), so
the time to first token includes the wait in the queue — for both. The bridge path also
includes what the service does for every answer: it remembers the turn (one embedding and one
commit) before the final reply.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUERY = "Explain in two sentences what a prototype is."


class Sample:
    def __init__(self) -> None:
        self.first: list[float] = []
        self.pieces = 0
        self.wall = 0.0
        self.texts: list[str] = []


def _round(ask, clients: int) -> Sample:
    """``clients`` threads, each asking once; ``ask(on_piece) -> text``."""
    s = Sample()
    lock = threading.Lock()

    def one() -> None:
        t0 = time.perf_counter()
        seen = []

        def on_piece() -> None:
            if not seen:
                seen.append(time.perf_counter() - t0)
        pieces, text = ask(on_piece)
        with lock:
            s.first.append(seen[0] if seen else float("nan"))
            s.pieces += pieces
            s.texts.append(text)
    threads = [threading.Thread(target=one) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s.wall = time.perf_counter() - t0
    return s


def _start_service(home: Path, endpoint: str) -> subprocess.Popen:
    env = dict(os.environ, TELOS_HOME=str(home), TELOS_LLM_BACKEND="embedded", TELOS_METRICS="off",
               PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1")
    for k in ("TELOS_RESPONDER", "TELOS_ZEO", "TELOS_BRIDGE"):
        env.pop(k, None)
    return subprocess.Popen([sys.executable, "-m", "telos.cli", "serve", "--file", "--endpoint",
                             endpoint, "--workers", "4"], cwd=REPO, env=env,
                            stdout=open(home / "service.out", "w"), stderr=subprocess.STDOUT)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench chat")
    ap.add_argument("--rounds", type=int, default=3, help="alternating blocks per concurrency")
    ap.add_argument("--tokens", type=int, default=48, help="answer length (num_predict)")
    ap.add_argument("--query", default=QUERY)
    args = ap.parse_args(argv)

    from telos.bridge.client import BridgeClient
    from telos.llm.orchestrator import Orchestrator

    home = Path(tempfile.mkdtemp(prefix="bench-chat-", dir="/tmp"))
    local_home = home / "local"
    local_home.mkdir()
    endpoint = f"ipc://{home}/bridge.sock"
    svc = _start_service(home, endpoint)
    try:
        client = BridgeClient(endpoint, curve=None, timeout=30)
        client.wait_ready(180)
        print("waiting for the service's embedded model ...", file=sys.stderr)
        deadline = time.monotonic() + 600
        while client.status().model_stage != "ready":
            if time.monotonic() > deadline or svc.poll() is not None:
                print("the service's model never became ready; see", home / "service.out")
                return 1
            time.sleep(0.5)
        os.environ["TELOS_HOME"] = str(local_home)
        os.environ["TELOS_LLM_BACKEND"] = "embedded"
        from telos import open_image
        image = open_image()
        orch = Orchestrator.for_image(image)
        orch.remember = None      # threads must not share this image; the service remembers turns
        orch.backend.warm()
        while not orch.backend.engine.ready:
            time.sleep(0.2)
        opts = {"num_predict": args.tokens}

        def direct(on_piece):
            n, parts = 0, []
            for piece in orch.ask(args.query, persona="BABS", options=opts):
                on_piece()
                n += 1
                parts.append(piece)
            return n, "".join(parts)

        def bridge(on_piece):
            n = 0
            with BridgeClient(endpoint, curve=None, timeout=30) as c:
                call = c.ask(args.query, persona="BABS", max_tokens=args.tokens)
                for _ in call:
                    on_piece()
                    n += 1
                return n, call.final.full_text

        print(f"bench chat: embedded SmolLM2-135M, '{args.query}' as BABS, {args.tokens} pieces, "
              f"{args.rounds} alternating rounds")
        _round(direct, 1), _round(bridge, 1)             # warm-up: first-use costs on both sides
        print(f"{'clients':>7} {'path':<7} {'first piece p50':>16} {'pieces/s':>9}")
        for clients in (1, 4):
            res = {"direct": [], "bridge": []}
            for _ in range(args.rounds):
                res["direct"].append(_round(direct, clients))
                res["bridge"].append(_round(bridge, clients))
            summary = {}
            same = {t for s in res["direct"] + res["bridge"] for t in s.texts}
            if len(same) != 1:
                print(f"   note: {len(same)} different answers (expected one: greedy decoding)")
            for path, samples in res.items():
                first = statistics.median(f for s in samples for f in s.first)
                rate = sum(s.pieces for s in samples) / sum(s.wall for s in samples)
                summary[path] = (first, rate)
                print(f"{clients:>7} {path:<7} {first * 1000:13.0f} ms {rate:9.1f}")
            (fd, rd), (fb, rb) = summary["direct"], summary["bridge"]
            print(f"{clients:>7} ratio   first piece bridge/direct {fb / fd:5.2f}   "
                  f"pieces/s bridge/direct {rb / rd:5.2f}")
        image.close()
        client.close()
        return 0
    finally:
        svc.terminate()
        try:
            svc.wait(30)
        except subprocess.TimeoutExpired:
            svc.kill()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
