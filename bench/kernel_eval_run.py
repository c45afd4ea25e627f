"""``bench kernel --eval``: the evaluation set (bench/kernel_eval.py) sent to the generative kernel.

Each request gets a fresh image in its own temporary ``TELOS_HOME`` (opening one costs a few
milliseconds; nothing one request teaches the image — an installed method, a "similar method"
for the prompt — reaches another). The receiver (and its parent) are registered, the selector
is called with the request's arguments, and the value is compared with the expected one
(:func:`kernel_eval.same_value`). Time per request is the call alone: setup is not counted, and
the model is loaded (and the memory's embedder warmed) before the first request.

Outcomes: ``ok``; misses ``wrong value``, ``None``, ``refused at STEP`` (the
:class:`~telos.errors.GenerationError`'s ``step``: generation, extract, policy, trial,
install) and ``exception at call`` (anything else the call raised). Progress goes to stderr,
one line per request; the report to stdout.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter

MISS_KINDS = ("wrong value", "None", "refused at generation", "refused at extract",
              "refused at policy", "refused at trial", "refused at install", "exception at call")
BASELINE_ROW = "all levers off (the kernel before them)"
ALL_ON_ROW = "all levers on"
DEFAULT_ROW = "the kernel's default (all but candidates)"
#: how long the embedded model took to become ready in this run: ``convert`` (0 when the
#: machine's cache had it), ``ready`` (conversion + load)
LOAD_SECONDS: dict[str, float] = {}


class EvalRefused(Exception):
    """The evaluation cannot run as asked (a backend that does not answer, an empty subset)."""


def select(requests, only: str | None, limit: int | None, categories) -> list:
    if only is not None and only not in categories:
        raise EvalRefused(f"--only {only!r}: no such category (known: {', '.join(categories)})")
    chosen = [r for r in requests if only is None or r.category == only]
    if limit is not None:
        if limit < 1:
            raise EvalRefused(f"--limit {limit}: must be at least 1")
        chosen = chosen[:limit]
    return chosen


# -- backends ----------------------------------------------------------------------------------

def lever_sets(spec: str, ablation: bool) -> list[tuple[str, object]]:
    """(row label, Levers) to run: one set from ``--levers``, or the ablation's rows."""
    from telos.kernel.levers import DEFAULT, NAMES, Levers
    if ablation:
        return ([(ALL_ON_ROW, Levers())]
                + [(f"without {name}", Levers().without(name)) for name in NAMES
                   if name != "examples"]
                + [(BASELINE_ROW, Levers.off())])
    if spec == "all":
        return [(ALL_ON_ROW, Levers())]
    if spec == "default":
        return [(DEFAULT_ROW, DEFAULT)]
    if spec == "off":
        return [(BASELINE_ROW, Levers.off())]
    if spec.startswith("all-but-"):
        try:
            return [(f"without {spec[8:]}", Levers().without(spec[8:]))]
        except ValueError as exc:
            raise EvalRefused(f"--levers {spec}: {exc}") from exc
    raise EvalRefused(f"--levers {spec!r}: use default, all, off or all-but-NAME")


def prepare_backend(name: str, threads: int | None = None) -> str:
    """Make ``name`` the process's backend and check it answers; return a label for the report."""
    os.environ["TELOS_LLM_BACKEND"] = name
    if name == "ollama":
        return _prepare_ollama()
    from telos.errors import TelosError
    from telos.llm import models
    from telos.llm.embedded import engine, ensure_cache, load
    try:
        spec = models.spec()                # the embedded_model setting (TELOS_EMBEDDED_MODEL)
    except TelosError as exc:
        raise EvalRefused(str(exc)) from exc
    if threads:
        import torch
        torch.set_num_threads(threads)
        engine().threads = threads
    t0 = time.perf_counter()
    ensure_cache(model=spec)
    LOAD_SECONDS["convert"] = time.perf_counter() - t0
    load(model=spec)
    LOAD_SECONDS["ready"] = time.perf_counter() - t0
    print(f"embedded model {spec.title} ready in {LOAD_SECONDS['ready']:.1f} s", file=sys.stderr)
    return f"embedded {spec.name}, {threads or 'default'} torch thread(s)"


def _prepare_ollama() -> str:
    from telos.errors import LLMError
    from telos.llm.ollama_backend import OllamaBackend
    from telos.llm.personas import CODE_PERSONA, PERSONA_TABLE
    probe = OllamaBackend(None, timeout=5.0, connect_timeout=2.0)
    if not probe.reachable():
        where = "OLLAMA_HOST" if os.environ.get("OLLAMA_HOST") else "the default host"
        raise EvalRefused(f"no Ollama answers at {probe.host} ({where}) — start `ollama serve` "
                          "or set OLLAMA_HOST to a running server")
    model = next(p.model for p in PERSONA_TABLE if p.name == CODE_PERSONA)
    try:
        pulled = probe.models()
    except LLMError as exc:
        raise EvalRefused(f"Ollama at {probe.host}: {exc}") from exc
    if model not in pulled and f"{model}:latest" not in pulled:
        raise EvalRefused(f"{CODE_PERSONA}'s model {model} is not pulled at {probe.host} — run "
                          f"`ollama pull {model}`")
    return f"ollama {model} at {probe.host}"


def _warm_memory() -> None:
    """The prompt asks the memory for relevant texts; load its embedder before timing."""
    from telos import open_image
    from telos.kernel import prompt
    with _fresh_home():
        im = open_image()
        try:
            prompt.relevant_memories(im, "warm up")
        finally:
            im.close()


class _fresh_home:
    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="kernel-eval-")
        self.old = os.environ.get("TELOS_HOME")
        os.environ["TELOS_HOME"] = self.path
        return self.path

    def __exit__(self, *exc):
        if self.old is None:
            os.environ.pop("TELOS_HOME", None)
        else:
            os.environ["TELOS_HOME"] = self.old
        shutil.rmtree(self.path, ignore_errors=True)


# -- one request -------------------------------------------------------------------------------

def run_one(ev, req, levers=None) -> dict:
    from telos import open_image
    from telos.errors import GenerationError
    result = {"key": req.key, "category": req.category, "call": req.call_text(),
              "expected": req.expected}
    with _fresh_home():
        im = open_image()
        try:
            with im.thought("eval: kernel on"):
                im.config.kernel_enabled = True
            receiver = ev.build(im, req)
            if levers is not None:
                im.kernel.levers = levers
            t0 = time.perf_counter()
            try:
                value = getattr(receiver, req.selector)(*req.args, **req.kwargs)
            except GenerationError as exc:
                outcome, detail, value = f"refused at {exc.step}", exc.reason, None
            except Exception as exc:  # noqa: BLE001 - the method under test: classified, reported
                outcome, detail, value = "exception at call", f"{type(exc).__name__}: {exc}", None
            else:
                detail = ""
                outcome = ("ok" if ev.same_value(value, req.expected)
                           else "None" if value is None else "wrong value")
            result["seconds"] = time.perf_counter() - t0
            kernel = im.kernel
            result.update(outcome=outcome, detail=detail, value=_jsonable(ev.plain(value)),
                          attempts=len(kernel.last_attempts),
                          attempt_errors=[a.get("error", "") for a in kernel.last_attempts],
                          timings={k: round(v, 4) for k, v in kernel.last_timings.items()},
                          source=_written_source(receiver, req.selector, kernel.last_attempts))
        finally:
            im.close()
    return result


def _written_source(receiver, selector: str, attempts: list[dict]) -> str:
    """The installed method's source; else the last reply's ``def`` (or the reply itself)."""
    from telos.errors import GenerationError
    from telos.kernel import extract
    from telos.uvm import METHOD, lookup
    found = lookup(receiver, selector)
    if found is not None and found[0] == METHOD:
        return found[2].source
    if not attempts:
        return ""
    reply = attempts[-1].get("reply", "")
    try:
        return extract.extract_function(reply, selector)
    except GenerationError:
        return reply


def _jsonable(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


# -- the report --------------------------------------------------------------------------------

def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def summarize(results: list[dict]) -> dict:
    times = [r["seconds"] for r in results]
    ok = sum(r["outcome"] == "ok" for r in results)
    return {"requests": len(results), "ok": ok, "success_rate": ok / len(results),
            "median_s": statistics.median(times), "p90_s": p90(times),
            "misses": dict(Counter(r["outcome"] for r in results if r["outcome"] != "ok"))}


def report(results: list[dict], label: str, categories, *, verbose: bool, out=None) -> None:
    out = out or sys.stdout
    s = summarize(results)
    w = lambda line="": print(line, file=out)  # noqa: E731
    w(f"kernel --eval: {s['requests']} requests, {label}, one fresh image per request")
    w(f"success {s['ok']}/{s['requests']} = {100 * s['success_rate']:.1f} %   "
      f"time per request: median {s['median_s']:.2f} s, p90 {s['p90_s']:.2f} s")
    w()
    w(f"{'category':<13} {'n':>3} {'ok':>3} {'rate':>7} {'median s':>9}")
    for cat in categories:
        rows = [r for r in results if r["category"] == cat]
        if rows:
            ok = sum(r["outcome"] == "ok" for r in rows)
            med = statistics.median(r["seconds"] for r in rows)
            w(f"{cat:<13} {len(rows):>3} {ok:>3} {100 * ok / len(rows):6.1f} % {med:9.2f}")
    w()
    w(f"{'miss kind':<23} {'n':>3} {'of requests':>12}")
    for kind in MISS_KINDS + tuple(k for k in s["misses"] if k not in MISS_KINDS):
        n = s["misses"].get(kind, 0)
        w(f"{kind:<23} {n:>3} {100 * n / s['requests']:10.1f} %")
    if verbose:
        for r in results:
            w()
            w(f"{r['call']} -> {r['outcome']} in {r['seconds']:.2f} s, {r['attempts']} "
              f"attempt(s); expected {r['expected']!r}, got {r['value']!r}")
            for n, err in enumerate(r["attempt_errors"], 1):
                if err:
                    w(f"    attempt {n} rejected at {err}")
            if r["detail"]:
                w(f"    {r['detail']}")
            for line in (r["source"] or "(no source)").rstrip().splitlines():
                w(f"    | {line}")


def lever_table(runs: list[tuple[str, list[dict]]], out=None) -> None:
    """One row per lever set: success, median and p90 time per request, the change in
    success against the first row (all levers on)."""
    out = out or sys.stdout
    w = lambda line="": print(line, file=out)  # noqa: E731
    ref = summarize(runs[0][1])["success_rate"] if runs else 0.0
    w(f"{'levers':<40} {'ok':>7} {'success':>8} {'vs all on':>10} {'median s':>9} {'p90 s':>7}")
    for label, results in runs:
        s = summarize(results)
        w(f"{label:<40} {s['ok']:>3}/{s['requests']:<3} {100 * s['success_rate']:7.1f}% "
          f"{100 * (s['success_rate'] - ref):+9.1f}  {s['median_s']:9.2f} {s['p90_s']:7.2f}")


def main(args, evs, measure=None) -> int:
    """Run the evaluation; ``evs`` is one evaluation set (a module like :mod:`kernel_eval`) or a
    list of them (``--set both`` or ``all``: each reported apart, its ``NAME`` in the row labels).
    ``measure(LOAD_SECONDS)``, when given and the backend is embedded, returns the model's
    figures (speed, memory: kernel_eval_models.measure) for the JSON."""
    evs = evs if isinstance(evs, (list, tuple)) else [evs]
    try:
        chosen = [(ev, select(ev.REQUESTS, args.only, args.limit, ev.CATEGORIES)) for ev in evs]
        sets = lever_sets(getattr(args, "levers", "all"), getattr(args, "ablation", False))
        label = prepare_backend(args.backend, getattr(args, "threads", None))
    except EvalRefused as exc:
        print(f"bench kernel --eval: {exc}", file=sys.stderr)
        return 2
    _warm_memory()
    runs = []
    for ev, requests in chosen:
        name = getattr(ev, "NAME", "dev")
        for row, levers in sets:
            row = row if name == "dev" else f"{name}: {row}"
            results = []
            t_all = time.perf_counter()
            print(f"-- {row}: {levers.label()}", file=sys.stderr, flush=True)
            for i, req in enumerate(requests, 1):
                r = run_one(ev, req, levers)
                results.append(r)
                print(f"[{i:>2}/{len(requests)}] {r['call']:<48} {r['outcome']:<22} "
                      f"{r['seconds']:6.2f} s", file=sys.stderr, flush=True)
            print(f"{len(requests)} requests in {time.perf_counter() - t_all:.0f} s "
                  f"({os.getloadavg()[0]:.2f} load)", file=sys.stderr)
            runs.append((row, results))
    for n, (row, results) in enumerate(runs):
        if n:
            print()
        print(f"== {row}")
        report(results, label, evs[0].CATEGORIES, verbose=args.verbose)
    print()
    sizes = ", ".join(f"{getattr(ev, 'NAME', 'dev')} {len(reqs)}" for ev, reqs in chosen)
    print(f"levers, requests per set: {sizes}; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
    lever_table(runs)
    if args.json:
        model = measure(LOAD_SECONDS) if measure and args.backend == "embedded" else None
        with open(args.json, "w") as f:
            json.dump({"backend": label, "model": model, "runs": [
                {"levers": row, "summary": summarize(results), "results": results}
                for row, results in runs]}, f, indent=1)
    return 0
