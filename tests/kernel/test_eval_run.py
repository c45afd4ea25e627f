"""``bench kernel --eval`` classifies outcomes as it says, against the Ollama stand-in (scripted
replies: no language model), and refuses clearly when no Ollama answers."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from types import SimpleNamespace

from tests.conftest import free_port
from tests.kernel.conftest import fenced, last_question

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


EVAL = _load("kernel_eval")
RUN = _load("kernel_eval_run")

REPLIES = {   # selector -> what the stand-in answers for it
    "area": fenced("def area(self):\n    return self.width * self.height"),
    "perimeter": fenced("def perimeter(self):\n    return self.width + self.height"),
    "full_name": "I am sorry, I cannot write that.",
    "initials": fenced("def initials(self):\n    pass"),
}


def _reply(body: dict) -> str:
    prompt = last_question(body)
    for selector, reply in REPLIES.items():
        if f"Write the method {selector}," in prompt or f".{selector}()" in prompt:
            return reply
    raise AssertionError(f"unexpected prompt {prompt!r}")


def _args(**kw) -> argparse.Namespace:
    base = dict(only=None, limit=None, verbose=True, json=None, backend="ollama", levers="off",
                ablation=False, threads=None)
    base.update(kw)
    return argparse.Namespace(**base)


def _subset_eval():
    wanted = {"Rectangle.area", "Rectangle.perimeter", "Person.full_name", "Person.initials"}
    reqs = [r for r in EVAL.REQUESTS if r.key in wanted]
    assert len(reqs) == len(wanted)
    return SimpleNamespace(REQUESTS=reqs, CATEGORIES=EVAL.CATEGORIES, build=EVAL.build,
                           same_value=EVAL.same_value, plain=EVAL.plain)


def test_outcomes_are_classified_and_reported(standin, monkeypatch, tmp_path, capsys):
    standin.default_reply = _reply
    monkeypatch.setenv("OLLAMA_HOST", standin.url)
    monkeypatch.setenv("TELOS_LLM_BACKEND", "ollama")     # restored after the test
    out_json = tmp_path / "eval.json"
    assert RUN.main(_args(json=str(out_json)), _subset_eval()) == 0
    captured = capsys.readouterr()
    outcomes = {r["key"]: r for r in json.loads(out_json.read_text())["runs"][0]["results"]}
    assert outcomes["Rectangle.area"]["outcome"] == "ok"
    assert outcomes["Rectangle.perimeter"]["outcome"] == "wrong value"
    assert outcomes["Rectangle.perimeter"]["value"] == 7
    assert outcomes["Person.full_name"]["outcome"] == "refused at extract"
    assert outcomes["Person.full_name"]["attempts"] == 3          # today's kernel retries
    assert outcomes["Person.initials"]["outcome"] == "None"
    # the report on stdout, one progress line per request on stderr
    assert "success 1/4 = 25.0 %" in captured.out
    assert "all levers off (the kernel before them)" in captured.out
    assert "    | def perimeter(self):" in captured.out               # --verbose: the source
    assert sum(line.startswith("[") for line in captured.err.splitlines()) == 4
    assert "success" not in captured.err


def test_ablation_prints_one_row_per_lever_set(standin, monkeypatch, capsys):
    standin.default_reply = _reply
    monkeypatch.setenv("OLLAMA_HOST", standin.url)
    monkeypatch.setenv("TELOS_LLM_BACKEND", "ollama")     # restored after the test
    assert RUN.main(_args(ablation=True, verbose=False, limit=2), _subset_eval()) == 0
    out = capsys.readouterr().out
    table = out[out.index("levers  "):]
    for row in ("all levers on", "without constrained", "without receiver_prompt",
                "without analogy", "without candidates", "without rerank", "all levers off"):
        assert row in table
    # the stand-in writes area right and perimeter wrong whatever the levers: 1 of 2 each
    assert table.count(" 1/2 ") == 7


def test_unknown_lever_set_is_refused(monkeypatch, capsys):
    assert RUN.main(_args(levers="all-but-magic"), _subset_eval()) == 2
    assert "no lever 'magic'" in capsys.readouterr().err


def test_only_and_limit_choose_the_subset(standin, monkeypatch, capsys):
    standin.default_reply = _reply
    monkeypatch.setenv("OLLAMA_HOST", standin.url)
    monkeypatch.setenv("TELOS_LLM_BACKEND", "ollama")     # restored after the test
    assert RUN.main(_args(only="strings", limit=1, verbose=False), _subset_eval()) == 0
    out = capsys.readouterr().out
    assert "1 requests" in out and "strings" in out and "arithmetic" not in out


def test_ollama_backend_without_a_server_is_refused_clearly(monkeypatch, capsys):
    monkeypatch.setenv("OLLAMA_HOST", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("TELOS_LLM_BACKEND", "ollama")
    assert RUN.main(_args(), _subset_eval()) == 2
    err = capsys.readouterr().err
    assert "no Ollama answers at http://127.0.0.1:" in err and "ollama serve" in err


def test_models_comparison_refuses_an_unknown_model_and_passes_the_rest_on(capsys):
    models = _load("kernel_eval_models")
    assert models._child_argv(["--eval", "--models", "smollm2,gemma3-270m", "--limit", "3",
                               "--json", "x.json", "--fresh-convert", "--models=a"]) == [
        "--eval", "--limit", "3"]
    assert models.run(["smollm2", "llama-7b"], [], fresh=False, json_path=None,
                      summarize=RUN.summarize) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("bench kernel --models: embedded_model='llama-7b': expected one of smollm2, "
                   "gemma3-270m")
