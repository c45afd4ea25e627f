"""``bench kernel --eval --models A,B``: the evaluation set once per embedded model, compared.

Each model runs in a process of its own (``bench kernel --eval`` with ``TELOS_EMBEDDED_MODEL``
set), one after the other: its weights, peak memory and torch threads are its own, and its
report goes to the terminal as usual. The child also measures, after its requests, the model's
decode speed on the compute thread (:func:`measure`: a fixed prompt, greedy, KV cache) and its
memory, into its ``--json``. The parent then prints one table: success, median and p90 time per
request, decode tokens/s, conversion and load time, resident memory.

Conversion is once per machine: with the machine's cache present, ``convert s`` is ~0 and
``ready s`` is the load. ``--fresh-convert`` gives each child an empty temporary model cache
(deleted afterwards), so the conversion is measured too (and is in the peak memory).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEED_PROMPT = "Write a Python method that returns the area of a rectangle."
SPEED_TOKENS = 48


def _rss_mb() -> float:
    """This process's resident memory now (VmRSS), in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _decode_speed(spec) -> float:
    import torch
    from telos.llm.embedded import load
    tokenizer, model = load(model=spec)
    ids = tokenizer.apply_chat_template([{"role": "user", "content": SPEED_PROMPT}],
                                        add_generation_prompt=True, return_tensors="pt",
                                        return_dict=True)["input_ids"]
    with torch.inference_mode():
        out = model(input_ids=ids, use_cache=True)
        past, step = out.past_key_values, out.logits[:, -1:].argmax(-1)
        t0 = time.perf_counter()
        for _ in range(SPEED_TOKENS):
            out = model(input_ids=step, past_key_values=past, use_cache=True)
            past, step = out.past_key_values, out.logits[:, -1:].argmax(-1)
        return SPEED_TOKENS / (time.perf_counter() - t0)


def measure(load_seconds: dict) -> dict:
    """In the eval's process, after its requests: the embedded model, its speed and memory."""
    from telos import compute
    from telos.llm import models
    spec = models.spec()
    return {"key": spec.key, "name": spec.name, "title": spec.title,
            "tokens_per_s": compute.call(_decode_speed, spec),   # where the answers are decoded
            "convert_s": load_seconds.get("convert"), "ready_s": load_seconds.get("ready"),
            "rss_mb": _rss_mb(), "peak_rss_mb": _peak_mb()}


def _child_argv(argv: list[str]) -> list[str]:
    """The parent's arguments without ``--models``/``--json``/``--fresh-convert``."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("--models", "--json"):
            skip = True
        elif a.startswith(("--models=", "--json=")) or a == "--fresh-convert":
            continue
        else:
            out.append(a)
    return out


def run(keys: list[str], argv: list[str], *, fresh: bool, json_path: str | None,
        summarize) -> int:
    from telos.llm import models
    from telos.errors import ConfigError
    try:
        specs = [models.spec(k) for k in keys]
    except ConfigError as exc:
        print(f"bench kernel --models: {exc}", file=sys.stderr)
        return 2
    rows, code = [], 0
    for spec in specs:
        tmp = Path(tempfile.mkdtemp(prefix="eval-models-"))
        env = dict(os.environ, TELOS_EMBEDDED_MODEL=spec.key)
        if fresh:
            env["TELOS_MODEL_CACHE"] = str(tmp / "cache")
        out = tmp / "eval.json"
        cmd = [sys.executable, "-m", "telos.cli", "bench", "kernel", *_child_argv(argv),
               "--json", str(out)]
        print(f"==== {spec.key}: {spec.title}", flush=True)
        t0 = time.perf_counter()
        try:
            child = subprocess.Popen(cmd, env=env)
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
            if child.returncode != 0 or not out.is_file():
                print(f"bench kernel --models: {spec.key} failed (exit {child.returncode})",
                      file=sys.stderr)
                code = code or 1
                continue
            data = json.loads(out.read_text())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        run0 = data["runs"][0]
        rows.append({"model": data.get("model", {"key": spec.key, "title": spec.title}),
                     "summary": summarize(run0["results"]), "levers": run0["levers"],
                     "wall_s": time.perf_counter() - t0,
                     "child_peak_rss_mb": usage.ru_maxrss / 1024, "results": run0["results"]})
        print(flush=True)
    if rows:
        table(rows, fresh=fresh)
    if json_path:
        with open(json_path, "w") as f:
            json.dump({"models": rows}, f, indent=1)
    return code


def table(rows: list[dict], *, fresh: bool, out=None) -> None:
    out = out or sys.stdout
    w = lambda line="": print(line, file=out)  # noqa: E731
    w(f"models, {rows[0]['summary']['requests']} requests each, levers: {rows[0]['levers']}; "
      f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
    w(f"{'model':<28} {'ok':>7} {'success':>8} {'median s':>9} {'p90 s':>7} {'tok/s':>6} "
      f"{'convert s':>10} {'ready s':>8} {'RSS MiB':>8} {'peak MiB':>9}")
    for r in rows:
        s, m = r["summary"], r["model"]
        conv = m.get("convert_s")
        conv_text = f"{conv:10.1f}" if fresh and conv is not None else f"{'cached':>10}"
        w(f"{m.get('title', m.get('key')):<28} {s['ok']:>3}/{s['requests']:<3} "
          f"{100 * s['success_rate']:7.1f}% {s['median_s']:9.2f} {s['p90_s']:7.2f} "
          f"{m.get('tokens_per_s', float('nan')):6.1f} {conv_text} "
          f"{m.get('ready_s') or float('nan'):8.1f} {m.get('rss_mb', float('nan')):8.0f} "
          f"{r['child_peak_rss_mb']:9.0f}")
