"""The program run inside the sandbox process (``python -I -S -c <this file's text>``).

It reads one JSON payload from stdin, locks itself down, runs the generated method once
against a copy of the receiver — compiled and budgeted exactly as in the image
(:mod:`telos.execution`) — and writes one JSON object to its original stdout. Nothing but JSON
ever leaves it.

The interpreter may live where ``nobody`` cannot read it (``/root``, mode 0700), so the process
starts as the parent's user and drops privileges itself, privilege-separation style, before any
untrusted code runs:

1. import what the method may use (``telos.execution`` through a stub ``telos`` package, so the
   object database and the rest of TelOS are never imported; RestrictedPython; the safe modules);
2. leave the network: a new, empty network namespace (``unshare(CLONE_NEWNET)``);
3. drop to ``nobody``: no supplementary groups, real = effective = saved uid and gid; then prove
   that ``setuid(0)`` fails. If any of this is impossible the trial is **refused** (fail closed)
   unless the parent passed ``allow_no_drop`` (the ``TELOS_SANDBOX_NO_DROP`` setting);
4. resource limits: CPU, address space, file size, open files, no new processes (NPROC 0);
5. an audit hook (PEP 578) refusing file opens, new imports, processes, sockets and ``os`` calls.
"""

import io
import json
import os
import resource
import sys
import types

PRELOAD = ("math", "cmath", "statistics", "fractions", "decimal", "itertools", "functools",
           "operator", "collections", "string", "re", "json", "datetime", "heapq", "bisect",
           "random", "textwrap", "unicodedata", "_strptime")

BLOCKED_EVENT_PREFIXES = (
    "os.", "subprocess.", "socket.", "shutil.", "ctypes.", "pty.", "fcntl.", "mmap.",
    "resource.", "signal.", "glob.", "tempfile.", "urllib.", "http.", "ftplib.", "smtplib.",
    "webbrowser.", "sqlite3.", "code.", "function.", "cpython.", "sys._getframe", "sys.settrace",
    "sys.setprofile", "sys._current_frames", "builtins.input", "syslog.", "msvcrt.", "winreg.",
    "array.", "marshal.", "pickle.", "shelve.", "gc.",
)
CLONE_NEWNET = 0x40000000


class Refused(Exception):
    """The sandbox cannot be set up as required: the trial must not run."""


def _import_execution(paths):
    sys.path[:0] = [p for p in paths if p not in sys.path]
    pkg = types.ModuleType("telos")
    pkg.__path__ = [paths[0] + "/telos"]
    sys.modules["telos"] = pkg
    import telos.execution  # noqa: F401  (RestrictedPython comes with it)
    for name in PRELOAD:
        __import__(name)
    return sys.modules["telos.execution"]


def _leave_network():
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(CLONE_NEWNET) != 0:
            return "shared (unshare refused: errno %d); sockets refused by the audit hook" % (
                ctypes.get_errno())
        return "none (own network namespace)"
    except (OSError, AttributeError) as exc:
        return "shared (%s); sockets refused by the audit hook" % exc


def _drop(uid, gid, allow_no_drop):
    if uid <= 0 or gid <= 0:
        if allow_no_drop:
            return
        raise Refused("uid %d/gid %d is not an unprivileged user" % (uid, gid))
    try:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    except (PermissionError, OSError) as exc:
        if allow_no_drop:
            return
        raise Refused("setuid to %d failed (%s)" % (uid, exc.strerror or exc))
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid):
        raise Refused("the uid/gid did not change as asked")
    try:
        os.setuid(0)
    except PermissionError:
        return
    raise Refused("root could be regained after the drop")


def _limit(name, value, slack=0):
    kind = getattr(resource, name)
    value = int(value)
    soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard - slack)
    resource.setrlimit(kind, (value, value + slack))


def _rlimits(limits):
    _limit("RLIMIT_CPU", limits["cpu_seconds"], 1)   # SIGXCPU at soft, SIGKILL a second later
    _limit("RLIMIT_AS", limits["memory_bytes"])
    _limit("RLIMIT_FSIZE", limits["file_bytes"])
    _limit("RLIMIT_NOFILE", limits["open_files"])
    _limit("RLIMIT_NPROC", 0)       # no new processes or threads
    _limit("RLIMIT_CORE", 0)


def _audit(allowed, state):
    def hook(event, args):
        if not state["untrusted"]:
            return
        if event == "object.__getattr__":   # tb_frame, gi_frame, __code__, ...: introspection
            raise PermissionError(f"sandbox: reading {args[1]!r} is not allowed")
        if event == "open":
            raise PermissionError(f"sandbox: opening files is not allowed ({args[0]!r})")
        if event == "import":
            if str(args[0]).split(".")[0] not in allowed:
                raise ImportError(f"sandbox: import of {args[0]!r} is not allowed")
            return
        if event.startswith(BLOCKED_EVENT_PREFIXES):
            raise PermissionError(f"sandbox: {event} is not allowed")

    sys.addaudithook(hook)


def _error_line(exc, message):
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith("<telos "):
            line = tb.tb_lineno
        tb = tb.tb_next
    return message if line is None else f"{message} (line {line})"


class UvmObject:
    """The receiver's copy: same type name, repr, data slots and methods as the real one."""

    def __init__(self, text, slots):
        object.__setattr__(self, "_repr", text)
        for k, v in slots.items():
            object.__setattr__(self, k, v)

    def __repr__(self):
        return self._repr


def _run(payload, execution, stream):
    from telos.execution import guards, namespace

    class Printer(namespace.LogPrinter):
        def _call_print(self, *objects, sep=" ", end="\n"):
            stream.write(sep.join(str(o) for o in objects) + end)

    guards.WRITABLE.append(UvmObject)
    receiver = UvmObject(payload["repr"], payload.get("slots", {}))
    methods = dict(payload.get("methods", {}))
    methods[payload["selector"]] = [payload["source"], bool(payload.get("trusted"))]
    label = payload.get("name") or "object"
    for name, (source, trusted) in methods.items():
        fn = execution.compile_method(
            name, source, f"<telos {label}.{name}>", trusted=trusted,
            trusted_globals={"__builtins__": __builtins__, "UvmObject": UvmObject},
            extra={"UvmObject": UvmObject}, printer=Printer)
        object.__setattr__(receiver, name, types.MethodType(fn, receiver))
    return getattr(receiver, payload["selector"])(*payload.get("args", []),
                                                   **payload.get("kwargs", {}))


def _attempt(payload, execution, stream):
    """Run the untrusted method and encode its result; everything here is untrusted."""
    try:
        value = _run(payload, execution, stream)
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
    report = {}
    try:
        execution = _import_execution(payload["paths"])
        execution.set_limits(execution.Limits(**payload["budget"]))
        report["network"] = _leave_network()
        _drop(payload["uid"], payload["gid"], payload.get("allow_no_drop", False))
        report["uid"], report["gid"] = os.getuid(), os.getgid()
        _rlimits(payload["limits"])
    except Refused as exc:
        real_out.write(json.dumps({"nonce": nonce, "ok": False, "kind": "privileges",
                                   "error": str(exc), **report}))
        real_out.flush()
        return
    captured = io.StringIO()
    state = {"untrusted": False}
    _audit(execution.ALLOWED_MODULES, state)
    sys.stdout = captured
    state["untrusted"] = True
    try:
        result = _attempt(payload, execution, captured)
        exc = result.pop("exc", None)
        message = None if exc is None else f"{type(exc).__name__}: {exc}"
    except BaseException as failure:     # e.g. a str() of the exception that raises
        result, exc, message = {"ok": False, "kind": "exception"}, None, repr(type(failure))
    finally:
        state["untrusted"] = False
    if exc is not None:
        result["error"] = _error_line(exc, message)
    value = result.pop("encoded", None)
    out = {"nonce": nonce, "stdout": captured.getvalue()[-2000:], **report, **result}
    text = json.dumps(out, allow_nan=False)
    if value is not None:                # splice the pre-encoded value in, unparsed
        text = text[:-1] + ', "value": ' + value + "}"
    real_out.write(text)
    real_out.flush()


main()
