"""The program run inside the sandbox process (``python -I -S -c <this file's text>``).

Standard library only; it never imports telos. It reads one JSON payload from stdin, locks
itself down, runs the generated method once against a copy of the receiver's state, and writes
exactly one JSON object to its original stdout. Nothing but JSON ever leaves it.

Lockdown, in order: resource limits (CPU, address space, file size, open files, processes —
the parent also starts it in a new session with an empty environment, in a temp directory, and
as ``nobody`` when the parent is root), preloading of the allowed pure modules, then an audit
hook (PEP 578) that refuses file opens, new imports, processes, sockets and ``os`` calls.
"""

import io
import json
import resource
import sys
import types

ALLOWED_PRELOAD = ("math", "cmath", "statistics", "fractions", "decimal", "itertools",
                   "functools", "operator", "collections", "string", "re", "datetime", "heapq",
                   "bisect", "random", "textwrap", "unicodedata")

BLOCKED_EVENT_PREFIXES = (
    "os.", "subprocess.", "socket.", "shutil.", "ctypes.", "pty.", "fcntl.", "mmap.",
    "resource.", "signal.", "glob.", "tempfile.", "urllib.", "http.", "ftplib.", "smtplib.",
    "webbrowser.", "sqlite3.", "code.", "function.", "cpython.", "sys._getframe", "sys.settrace",
    "sys.setprofile", "sys._current_frames", "builtins.input", "syslog.", "msvcrt.", "winreg.",
    "array.", "marshal.", "pickle.", "shelve.", "gc.",
)


def _limit(name, value, slack=0):
    kind = getattr(resource, name)
    value = int(value)
    soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard - slack)
    resource.setrlimit(kind, (value, value + slack))


def _lock_down(limits, allowed_imports, state):
    _limit("RLIMIT_CPU", limits["cpu_seconds"], 1)   # SIGXCPU at soft, SIGKILL a second later
    _limit("RLIMIT_AS", limits["memory_bytes"])
    _limit("RLIMIT_FSIZE", limits["file_bytes"])
    _limit("RLIMIT_NOFILE", limits["open_files"])
    _limit("RLIMIT_NPROC", 0)       # no new processes or threads (enforced for non-root)
    _limit("RLIMIT_CORE", 0)
    for name in ALLOWED_PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass
    allowed = frozenset(allowed_imports)

    def hook(event, args):
        if not state["untrusted"]:
            return
        if event == "object.__getattr__":   # tb_frame, gi_frame, __code__, ...: introspection
            raise PermissionError(f"sandbox: reading {args[1]!r} is not allowed")
        if event == "open":
            raise PermissionError(f"sandbox: opening files is not allowed ({args[0]!r})")
        if event == "import":
            root = str(args[0]).split(".")[0]
            if root not in allowed:
                raise ImportError(f"sandbox: import of {args[0]!r} is not allowed")
            return
        if event.startswith(BLOCKED_EVENT_PREFIXES):
            raise PermissionError(f"sandbox: {event} is not allowed")

    sys.addaudithook(hook)


def _error_line(exc, message):
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith("<generated"):
            line = tb.tb_lineno
        tb = tb.tb_next
    msg = message
    return msg if line is None else f"{msg} (line {line})"


class Receiver:
    """A copy of the receiver: its data slots as attributes and its methods bound to it."""

    def __init__(self, name, slots):
        object.__setattr__(self, "_name", name)
        for k, v in slots.items():
            object.__setattr__(self, k, v)

    def __repr__(self):
        return f"<{self._name or 'object'} (sandbox copy)>"


def _run(payload):
    receiver = Receiver(payload.get("name"), payload.get("slots", {}))
    namespace = {"__builtins__": __builtins__}
    methods = dict(payload.get("methods", {}))
    methods[payload["selector"]] = payload["source"]
    for name, source in methods.items():
        code = compile(source, f"<generated {name}>", "exec")
        local = {}
        exec(code, namespace, local)
        fn = local.get(name)
        if fn is None:
            raise NameError(f"the source of {name} does not define {name}")
        object.__setattr__(receiver, name, types.MethodType(fn, receiver))
    return getattr(receiver, payload["selector"])(*payload.get("args", []),
                                                   **payload.get("kwargs", {}))


def _attempt(payload):
    """Run the untrusted method and encode its result; everything here is untrusted."""
    try:
        value = _run(payload)
    except MemoryError:
        return {"ok": False, "kind": "memory",
                "error": "MemoryError: the method ran out of memory (address-space limit)"}
    except BaseException as exc:          # report any failure of the untrusted code as data
        return {"ok": False, "kind": "exception", "exc": exc, "error": None}
    try:
        encoded = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        return {"ok": False, "kind": "not_json",
                "error": f"the result ({type(value).__name__}) is not JSON-serialisable: {exc}"}
    return {"ok": True, "encoded": encoded}


def main():
    real_out = sys.stdout
    payload = json.loads(sys.stdin.read())
    nonce = payload.pop("nonce")
    captured = io.StringIO()
    state = {"untrusted": False}
    _lock_down(payload["limits"], payload.get("allowed_imports", ALLOWED_PRELOAD), state)
    sys.stdout = captured
    state["untrusted"] = True
    try:
        result = _attempt(payload)
        exc = result.pop("exc", None)
        message = None if exc is None else f"{type(exc).__name__}: {exc}"
    except BaseException as failure:     # e.g. a str() of the exception that raises
        result, exc, message = {"ok": False, "kind": "exception"}, None, repr(type(failure))
    finally:
        state["untrusted"] = False
    if exc is not None:
        result["error"] = _error_line(exc, message)
    value = result.pop("encoded", None)
    out = {"nonce": nonce, "stdout": captured.getvalue()[-2000:], **result}
    text = json.dumps(out, allow_nan=False)
    if value is not None:                # splice the pre-encoded value in, unparsed
        text = text[:-1] + ', "value": ' + value + "}"
    real_out.write(text)
    real_out.flush()


main()
