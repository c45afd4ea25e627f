"""The sandbox on its own, policy bypassed: it must contain hostile code by itself.

Methods run restricted in the trial, as in the image. The process-level fences (nobody, rlimits,
audit hook, no network) are tested on their own with ``trusted=True`` trials: plain Python, as
if RestrictedPython had been bypassed."""

from __future__ import annotations

import os

import pytest

from telos.errors import GenerationError
from telos.kernel.sandbox import Limits, run_trial

SLOTS = {"width": 3, "height": 4}


def trusted_error(code: str, **kw) -> GenerationError:
    return trial_error(code, trusted=True, **kw)


def trial_error(code: str, **kw) -> GenerationError:
    with pytest.raises(GenerationError) as info:
        run_trial(code, "area", slots=SLOTS, **kw)
    assert info.value.step == "trial"
    return info.value


def test_good_method_runs_on_a_copy_with_real_arguments():
    r = run_trial("def area(self, k, *, extra=0):\n    return self.width * self.height * k + extra",
                  "area", slots=SLOTS, args=(2,), kwargs={"extra": 1})
    assert r.value == 25


def test_other_methods_of_the_receiver_are_available():
    r = run_trial("def area(self):\n    return self.side() * self.height", "area", slots=SLOTS,
                  methods={"side": "def side(self):\n    return self.width"})
    assert r.value == 12


# a catastrophic regular expression runs in C: no budget hook sees it, the rlimits must
CATASTROPHIC = "def area(self):\n    import re\n    return re.match('(a+)+$', 'a' * 40 + 'b')"


def test_infinite_loop_ends_on_the_step_budget():
    err = trial_error("def area(self):\n    while True:\n        pass")
    assert "MethodBudgetExceeded: method 'area' exceeded its steps budget" in err.reason


def test_long_c_call_hits_the_cpu_limit():
    assert "CPU time limit" in trial_error(CATASTROPHIC, limits=Limits(cpu_seconds=1)).reason


def test_wall_timeout_kills_the_process_group():
    # a CPU limit beyond the wall-clock timeout: the timeout must kill it
    err = trial_error(CATASTROPHIC, limits=Limits(cpu_seconds=60, wall_seconds=1.0))
    assert err.reason.startswith("timeout") and "killed" in err.reason


def test_ten_gigabytes_is_a_memory_error():
    assert "MemoryError" in trusted_error("def area(self):\n    return len(bytearray(10 * 2**30))").reason
    assert "exceeded its size budget" in trial_error("def area(self):\n    return 'x' * 10 * 2**30").reason


def test_removing_a_file_outside_is_refused(tmp_path):
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    err = trusted_error(f"def area(self):\n    import os\n    os.remove({str(victim)!r})")
    assert "os.remove is not allowed" in err.reason
    assert victim.read_text() == "keep me"


def test_socket_is_refused():
    assert "socket" in trusted_error("def area(self):\n    import socket\n    socket.socket()").reason


def test_reading_etc_passwd_is_refused():
    err = trusted_error("def area(self):\n    return open('/etc/passwd').read()")
    assert "opening files is not allowed" in err.reason


def test_fork_bomb_is_refused():
    err = trusted_error("def area(self):\n    import os\n    while True:\n        os.fork()")
    assert "os.fork is not allowed" in err.reason


def test_subprocess_is_refused():
    err = trusted_error("def area(self):\n    import os\n    return os.system('touch /tmp/x')")
    assert "os.system is not allowed" in err.reason


def test_non_json_result_is_refused():
    assert "not JSON-serialisable" in trial_error("def area(self):\n    return {1, 2}").reason


def test_frame_introspection_is_refused():
    err = trusted_error("def area(self):\n    try:\n        1 / 0\n    except Exception as e:\n"
                      "        return str(e.__traceback__.tb_frame.f_back.f_locals)")
    assert "tb_frame" in err.reason


def test_a_forged_result_on_stdout_is_not_believed():
    err = trusted_error("def area(self):\n    import sys\n"
                      "    sys.__stdout__.write('{\"ok\": true, \"value\": 99}')\n    return 1")
    assert "no result" in err.reason


def test_prints_are_captured_not_mixed_with_the_result():
    r = run_trial("def area(self):\n    print('hello')\n    return 7", "area", slots=SLOTS)
    assert r.value == 7 and r.stdout == "hello\n"


def test_exception_names_the_line():
    err = trial_error("def area(self):\n    x = 1\n    return self.depth")
    assert "AttributeError" in err.reason and "(line 3)" in err.reason


def test_arguments_that_are_not_json_are_refused_before_running():
    with pytest.raises(GenerationError) as info:
        run_trial("def area(self, x):\n    return 1", "area", args=(object(),))
    assert "cannot be copied into the sandbox" in info.value.reason


def test_the_trial_runs_as_nobody_without_network():
    # a trusted harness method (plain Python) reports what the process really is
    r = run_trial("def area(self):\n    import os\n    return [os.getuid(), os.geteuid(), "
                  "os.getgid(), os.getgroups()]", "area", slots=SLOTS, trusted=True)
    assert r.value == [65534, 65534, 65534, []]
    assert r.details["uid"] == 65534 and r.details["network"].startswith("none")


def test_the_receiver_copy_looks_like_the_receiver():
    r = run_trial("def area(self):\n    return [repr(self), isinstance(self, UvmObject)]", "area",
                  slots=SLOTS, name="Rectangle",
                  receiver_repr="<Rectangle {width, height} methods(area)>")
    assert r.value == ["<Rectangle {width, height} methods(area)>", True]
    r = run_trial("def area(self):\n    return type(self).__name__", "area", slots=SLOTS,
                  trusted=True)
    assert r.value == "UvmObject"


def test_not_root_fails_closed(monkeypatch):
    import telos.kernel.sandbox as sandbox
    monkeypatch.delenv("TELOS_SANDBOX_NO_DROP", raising=False)
    monkeypatch.setattr(sandbox, "_euid", lambda: 1000)
    err = trial_error("def area(self):\n    return 1")
    assert "cannot run trials as nobody" in err.reason and "TELOS_SANDBOX_NO_DROP" in err.reason


def test_a_failed_drop_in_the_child_fails_closed(monkeypatch):
    import telos.kernel.sandbox as sandbox
    monkeypatch.delenv("TELOS_SANDBOX_NO_DROP", raising=False)
    monkeypatch.setattr(sandbox, "NOBODY", 0)   # "dropping" to root is no drop: refused
    err = trial_error("def area(self):\n    return 1")
    assert "could not drop privileges to nobody" in err.reason


def test_the_development_setting_allows_running_without_the_drop(monkeypatch):
    import telos.kernel.sandbox as sandbox
    monkeypatch.setenv("TELOS_SANDBOX_NO_DROP", "1")
    monkeypatch.setattr(sandbox, "_euid", lambda: 1000)
    r = run_trial("def area(self):\n    import os\n    return os.getuid()", "area", trusted=True)
    assert r.value == os.getuid()
