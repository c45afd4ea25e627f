"""telos/compute.py: heavy calls run on the one compute thread; results and errors come back
to the caller; a call made on the compute thread runs at once; one loop per process.

The compute thread is process-wide and a daemon: these tests share it with any other test of
the session and leave no loop behind."""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

import pytest

from telos import compute


def test_call_runs_on_the_compute_thread_and_returns_the_result():
    caller = threading.current_thread()
    name, on_it, ran_on = compute.call(
        lambda: (threading.current_thread().name, compute.on_compute_thread(),
                 threading.current_thread()))
    assert name == "telos-compute" and on_it is True and ran_on is not caller
    assert not compute.on_compute_thread()


def test_call_passes_arguments_and_keywords():
    assert compute.call(lambda a, b, *, c: (a, b, c), 1, 2, c=3) == (1, 2, 3)


def test_an_error_is_re_raised_in_the_caller():
    class Boom(Exception):
        pass

    def fail():
        raise Boom("from the compute thread")
    with pytest.raises(Boom, match="from the compute thread"):
        compute.call(fail)
    assert compute.call(lambda: "still serving") == "still serving"


def test_a_call_made_on_the_compute_thread_runs_at_once():
    def outer():
        inner_thread = compute.call(threading.current_thread)
        return inner_thread is threading.current_thread()
    assert compute.call(outer) is True


def test_calls_from_several_threads_all_run_on_one_thread():
    seen: set = set()
    results: list = []

    def worker(i):
        results.append(compute.call(lambda: (seen.add(threading.get_ident()), i * i)[1]))
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [i * i for i in range(6)]
    assert len(seen) == 1


def test_run_sets_the_result_or_the_exception_and_skips_cancelled_and_wakeups():
    ok, bad, cancelled = Future(), Future(), Future()
    compute._run((ok, lambda x: x + 1, (1,), {}))
    compute._run((bad, lambda: 1 / 0, (), {}))
    cancelled.cancel()
    ran = []
    compute._run((cancelled, lambda: ran.append(1), (), {}))
    compute._run(None)                         # a wake-up carries no work
    assert ok.result() == 2
    assert isinstance(bad.exception(), ZeroDivisionError)
    assert ran == []


def test_run_pending_serves_every_queued_call_then_returns(monkeypatch):
    tasks: queue.SimpleQueue = queue.SimpleQueue()
    monkeypatch.setattr(compute, "_tasks", tasks)
    futures = [Future() for _ in range(3)]
    for i, fut in enumerate(futures):
        tasks.put((fut, lambda i=i: i * 10, (), {}))
    tasks.put(None)
    compute.run_pending()
    assert [f.result(timeout=0) for f in futures] == [0, 10, 20]
    assert tasks.empty()


def test_wait_returns_after_its_timeout_when_nothing_arrives(monkeypatch):
    monkeypatch.setattr(compute, "_tasks", queue.SimpleQueue())
    compute.wait(0.01)


def test_wait_serves_the_call_that_arrives_and_then_the_pending_ones(monkeypatch):
    tasks: queue.SimpleQueue = queue.SimpleQueue()
    monkeypatch.setattr(compute, "_tasks", tasks)
    first, second = Future(), Future()
    tasks.put((first, lambda: "a", (), {}))
    tasks.put((second, lambda: "b", (), {}))
    compute.wait(1)
    assert (first.result(timeout=0), second.result(timeout=0)) == ("a", "b")


def test_one_loop_per_process(monkeypatch):
    def running():
        pass
    monkeypatch.setattr(compute, "_loop", running)
    with pytest.raises(RuntimeError, match="already runs a loop"):
        compute.start_loop(lambda: None)
    assert compute._loop is running


def test_start_loop_runs_the_loop_on_the_compute_thread(monkeypatch):
    monkeypatch.setattr(compute, "_loop", None)       # restored afterwards: the loop stops
    ran = threading.Event()
    threads: list = []

    def loop():
        threads.append(compute.on_compute_thread())
        ran.set()
    compute.start_loop(loop)
    compute.start_loop(loop)                           # the same loop again is fine
    assert ran.wait(30)
    assert threads[0] is True


def test_torch_gets_the_cpus_less_one_unless_the_setting_says(monkeypatch, caplog):
    monkeypatch.delenv("TELOS_TORCH_THREADS", raising=False)
    monkeypatch.setattr(compute.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert compute.threads() == 3
    monkeypatch.setattr(compute.os, "sched_getaffinity", lambda pid: {0})
    assert compute.threads() == 1                       # never zero
    monkeypatch.setenv("TELOS_TORCH_THREADS", "2")
    assert compute.threads() == 2
    monkeypatch.setenv("TELOS_TORCH_THREADS", "many")
    assert compute.threads() == 1                       # a bad value is logged, not fatal
    assert "TELOS_TORCH_THREADS='many'" in caplog.text


def test_the_compute_thread_runs_torch_with_that_many_threads():
    import torch
    assert compute.call(torch.get_num_threads) == compute.threads()
