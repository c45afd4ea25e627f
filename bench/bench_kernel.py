"""bench kernel: the embedded model's speed and one cognitive cycle, step by step; or, with
``--eval``, how often the kernel writes a correct method for the evaluation set.

    python3 master_forge.py bench kernel [--quick] [--cycles N]
    python3 master_forge.py bench kernel --eval [--set dev|held-out|fresh|both|all] [--only CATEGORY] [--limit N] [--verbose]
                                                [--json PATH] [--backend embedded|ollama]
                                                [--models smollm2,gemma3-270m [--fresh-convert]]

1. embedded SmolLM2-135M greedy generation: tokens/s (a token = one generated id), against the
   baseline measured in the same run: one forward pass over the same prompt (prefill), so the
   ratio says how many prefills one token costs;
2. one cognitive cycle (``Rectangle.area`` on a fresh image) split into prompt, generation,
   checks (extraction + policy), sandbox trial and commit, each as a share of the whole cycle,
   and the trial against a baseline of spawning a bare ``python -I -S -c pass`` in the same run.

``--eval`` (:mod:`kernel_eval_run`) sends every request of ``bench/kernel_eval.py`` to a fresh
image and compares the value with the expected one; ``--models`` (:mod:`kernel_eval_models`)
does it once per embedded model, each in its own process, and prints one comparison table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def _tokens_per_second(n_tokens: int) -> tuple[float, float]:
    import torch
    from telos.llm.embedded import load

    tokenizer, model = load()
    msgs = [{"role": "user", "content": "Write a short poem about the sea."}]
    ids = tokenizer.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="pt",
                                        return_dict=True)["input_ids"]
    with torch.inference_mode():
        t0 = time.perf_counter()
        for _ in range(3):
            model(input_ids=ids)
        prefill = (time.perf_counter() - t0) / 3
        past, step, produced = None, ids, 0
        t0 = time.perf_counter()
        for _ in range(n_tokens):
            out = model(input_ids=step, past_key_values=past, use_cache=True)
            past = out.past_key_values
            step = out.logits[:, -1:].argmax(-1)
            produced += 1
        per_token = (time.perf_counter() - t0) / produced
    return 1.0 / per_token, prefill


def _bare_spawn() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-I", "-S", "-c", "pass"], check=True, env={})
    return time.perf_counter() - t0


def _one_cycle() -> dict:
    from telos import open_image
    home = tempfile.mkdtemp(prefix="bench-kernel-")
    os.environ["TELOS_HOME"] = home
    os.environ["TELOS_LLM_BACKEND"] = "embedded"
    im = open_image()
    try:
        with im.thought("setup"):
            im.config.kernel_enabled = True
            im.register("Rectangle", im.prototypes["Object"].derive(width=3, height=4))
        t0 = time.perf_counter()
        value = im.prototypes["Rectangle"].area()
        total = time.perf_counter() - t0
        timings = dict(im.kernel.last_timings)
        timings["total"] = total
        timings["attempts"] = len(im.kernel.last_attempts)
        timings["value"] = value
        return timings
    finally:
        im.close()


def eval_sets(which: str) -> list:
    """The evaluation sets ``--set`` names, each a module-like namespace of
    :mod:`kernel_eval`'s helpers with its own ``REQUESTS`` and ``NAME``."""
    import types
    ev = _sibling("kernel_eval")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    held = _sibling("kernel_eval_held")
    fresh = _sibling("kernel_eval_fresh")
    groups = {"both": ("dev", "held-out"), "all": ("dev", "held-out", "fresh")}
    out = []
    for name, requests in (("dev", ev.REQUESTS), ("held-out", held.REQUESTS),
                           ("fresh", fresh.REQUESTS)):
        if name in groups.get(which, (which,)):
            out.append(types.SimpleNamespace(**{**vars(ev), "REQUESTS": requests, "NAME": name}))
    return out


def _sibling(name: str):
    """The module bench/NAME.py (the bench directory is not a package)."""
    import importlib.util
    from pathlib import Path
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module      # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench kernel")
    parser.add_argument("--quick", action="store_true", help="fewer tokens and cycles")
    parser.add_argument("--cycles", type=int, default=None, help="cognitive cycles to time")
    ev = parser.add_argument_group("evaluation set (--eval)")
    ev.add_argument("--eval", action="store_true",
                    help="send the evaluation set (bench/kernel_eval.py) to the kernel and report "
                         "its success rate, times and kinds of miss")
    ev.add_argument("--set", choices=("dev", "held-out", "fresh", "both", "all"), default="dev",
                    dest="eval_set",
                    help="which requests: dev (bench/kernel_eval.py, in view while the levers "
                         "were tuned), held-out (bench/kernel_eval_held.py, written after the "
                         "levers), fresh (bench/kernel_eval_fresh.py, written 2026-12-03 without "
                         "reading the kernel, run only to measure), both (dev and held-out) or "
                         "all three (each reported apart)")
    ev.add_argument("--only", metavar="CATEGORY", help="only the requests of this category")
    ev.add_argument("--limit", type=int, metavar="N", help="only the first N requests")
    ev.add_argument("--verbose", action="store_true",
                    help="each request's outcome and the method source the model wrote")
    ev.add_argument("--json", metavar="PATH", help="write the per-request results to PATH")
    ev.add_argument("--backend", choices=("embedded", "ollama"), default="embedded",
                    help="language model for --eval (ollama: OLLAMA_HOST or the default host; "
                         "refused at once when no server answers)")
    ev.add_argument("--levers", default="default", metavar="SET",
                    help="levers for --eval: default (the kernel's: all but candidates), all, "
                         "off (the kernel before them), or all-but-NAME (NAME: constrained, "
                         "receiver_prompt, analogy, candidates, examples)")
    ev.add_argument("--ablation", action="store_true",
                    help="run the requests once per lever set: all on, each lever off, all off; "
                         "print one table")
    ev.add_argument("--threads", type=int, default=1, metavar="N",
                    help="torch threads for the embedded model (default 1: on the busy 2-core "
                         "machine 2 threads decoded 3x slower)")
    ev.add_argument("--models", metavar="A,B",
                    help="embedded models to compare (smollm2, gemma3-270m): the evaluation once "
                         "per model, each in its own process, then one table (success, time per "
                         "request, tokens/s, load time, memory)")
    ev.add_argument("--fresh-convert", action="store_true",
                    help="with --models: convert each model into an empty temporary cache, to "
                         "measure the conversion too")
    args = parser.parse_args(argv)
    if args.models:
        if not args.eval or args.ablation or args.backend != "embedded":
            parser.error("--models goes with --eval, the embedded backend and one lever set")
        keys = [k.strip() for k in args.models.split(",") if k.strip()]
        return _sibling("kernel_eval_models").run(
            keys, argv, fresh=args.fresh_convert, json_path=args.json,
            summarize=_sibling("kernel_eval_run").summarize)
    if args.fresh_convert:
        parser.error("--fresh-convert goes with --models")
    if args.eval:
        return _sibling("kernel_eval_run").main(args, eval_sets(args.eval_set),
                                                measure=_sibling("kernel_eval_models").measure)
    if (args.eval_set != "dev" or args.only or args.limit or args.verbose or args.json or args.backend != "embedded"
            or args.ablation or args.levers != "default"):
        parser.error("--only, --limit, --verbose, --json, --backend, --levers and --ablation "
                     "go with --eval")
    import torch
    torch.set_num_threads(1)
    n_tokens = 24 if args.quick else 64
    cycles = args.cycles or (1 if args.quick else 3)

    from telos.llm.embedded import ensure_cache, load
    t0 = time.perf_counter()
    ensure_cache()
    load()
    print(f"embedded model ready in {time.perf_counter() - t0:.1f} s (cached conversion)")

    from telos.llm import models
    tps, prefill = _tokens_per_second(n_tokens)
    print(f"\n1. embedded {models.spec().title}, greedy, 1 thread, {n_tokens} tokens")
    print(f"   generation        {tps:8.1f} tokens/s   ({1000 / tps:.1f} ms/token)")
    print(f"   baseline prefill  {prefill * 1000:8.1f} ms/pass")
    print(f"   ratio token/prefill {1 / tps / prefill:6.2f}")

    runs = [_one_cycle() for _ in range(cycles)]
    spawn = statistics.median(_bare_spawn() for _ in range(5))
    steps = ("prompt", "generation", "checks", "trial", "commit")
    print(f"\n2. cognitive cycle Rectangle.area() on the embedded model, median of {cycles}")
    total = statistics.median(r["total"] for r in runs)
    for step in steps:
        v = statistics.median(r[step] for r in runs)
        print(f"   {step:<11} {v * 1000:9.1f} ms  {100 * v / total:5.1f} % of the cycle")
    print(f"   {'total':<11} {total * 1000:9.1f} ms  (attempts: "
          f"{', '.join(str(r['attempts']) for r in runs)}; values: "
          f"{', '.join(str(r['value']) for r in runs)})")
    trial = statistics.median(r["trial"] for r in runs)
    print(f"   baseline: bare `python -I -S -c pass` spawn {spawn * 1000:.1f} ms; "
          f"trial/spawn ratio {trial / spawn:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
