"""bench kernel: the embedded model's speed and one cognitive cycle, step by step.

    python3 master_forge.py bench kernel [--quick] [--cycles N]

1. embedded SmolLM2-135M greedy generation: tokens/s (a token = one generated id), against the
   baseline measured in the same run: one forward pass over the same prompt (prefill), so the
   ratio says how many prefills one token costs;
2. one cognitive cycle (``Rectangle.area`` on a fresh image) split into prompt, generation,
   checks (extraction + policy), sandbox trial and commit, each as a share of the whole cycle,
   and the trial against a baseline of spawning a bare ``python -I -S -c pass`` in the same run.
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


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench kernel")
    parser.add_argument("--quick", action="store_true", help="fewer tokens and cycles")
    parser.add_argument("--cycles", type=int, default=None, help="cognitive cycles to time")
    args = parser.parse_args(argv)
    import torch
    torch.set_num_threads(1)
    n_tokens = 24 if args.quick else 64
    cycles = args.cycles or (1 if args.quick else 3)

    from telos.llm.embedded import ensure_cache, load
    t0 = time.perf_counter()
    ensure_cache()
    load()
    print(f"embedded model ready in {time.perf_counter() - t0:.1f} s (cached conversion)")

    tps, prefill = _tokens_per_second(n_tokens)
    print(f"\n1. embedded SmolLM2-135M, greedy, 1 thread, {n_tokens} tokens")
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
