"""bench uvm: the object model against plain ``persistent.Persistent`` in the same run.

    python3 master_forge.py bench uvm [--quick]

Each row times one operation on a UvmObject and the same operation on a plain Persistent
object (or plain Python method), then prints the ratio UvmObject ÷ baseline. The method rows
compare a *restricted* method (RestrictedPython, guards, budget: the default) and a *trusted*
one (plain Python, operator's mark) with the same plain Python method, in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import timeit
from pathlib import Path

import transaction
import ZODB
from persistent import Persistent
from ZODB.FileStorage import FileStorage

from telos import UvmObject, mirror, open_image


class PlainRect(Persistent):
    def __init__(self):
        self.width, self.height = 3, 4

    def area(self):
        return self.width * self.height

    def total(self, n):
        t = 0
        for i in range(n):
            t += i * self.width
        return t


class Level1(Persistent):
    width = 3


class Level2(Level1):
    pass


class Level3(Level2):
    pass


class Level4(Level3):
    pass


TOTAL = ("def total(self, n):\n    t = 0\n    for i in range(n):\n        t += i * self.width\n"
         "    return t\n")


def _time(stmt, number: int, repeat: int) -> float:
    """Best-of-``repeat`` seconds per call."""
    return min(timeit.repeat(stmt, number=number, repeat=repeat)) / number


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench uvm")
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args(argv)
    n, commits, repeat = (20_000, 100, 3) if args.quick else (200_000, 500, 5)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        image = open_image(Path(tmp) / "uvm.fs", home=tmp)
        db = ZODB.DB(FileStorage(str(Path(tmp) / "plain.fs")))
        tm = transaction.TransactionManager()
        conn = db.open(transaction_manager=tm)
        try:
            with image.thought("bench setup"):
                rect = image.register("Rect", UvmObject(width=3, height=4))
                mirror(rect).define("area", "def area(self):\n    return self.width * self.height\n")
                mirror(rect).define("total", TOTAL)
                trusted = image.register("Trusted", UvmObject(width=3, height=4))
                mirror(trusted).define("area", "def area(self):\n    return self.width * "
                                               "self.height\n", trusted=True)
                mirror(trusted).define("total", TOTAL, trusted=True)
                leaf = rect.derive().derive().derive()
                image.root["leaf"] = leaf
            plain = PlainRect()
            deep = Level4()
            conn.root()["plain"], conn.root()["deep"] = plain, deep
            tm.commit()

            rows.append(("slot read", _time(lambda: rect.width, n, repeat),
                         _time(lambda: plain.width, n, repeat)))
            rows.append(("restricted method call", _time(lambda: rect.area(), n, repeat),
                         _time(lambda: plain.area(), n, repeat)))
            rows.append(("trusted method call", _time(lambda: trusted.area(), n, repeat),
                         _time(lambda: plain.area(), n, repeat)))
            rows.append(("restricted loop, 1000 steps", _time(lambda: rect.total(1000), n // 200,
                                                             repeat),
                         _time(lambda: plain.total(1000), n // 200, repeat)))
            rows.append(("delegated read, 3 parents", _time(lambda: leaf.width, n, repeat),
                         _time(lambda: deep.width, n, repeat)))

            counter = iter(range(10**9))

            def uvm_write():
                rect.width = next(counter)
                image.commit("w")

            def plain_write():
                plain.width = next(counter)
                tm.commit()

            samples_u, samples_p = [], []
            for _ in range(repeat):            # interleave so drift hits both alike
                samples_u.append(_time(uvm_write, commits, 1))
                samples_p.append(_time(plain_write, commits, 1))
            rows.append(("slot write + commit", statistics.median(samples_u),
                         statistics.median(samples_p)))
        finally:
            conn.close()
            db.close()
            image.close()

    print(f"{'operation':28} {'UvmObject':>12} {'baseline':>12} {'ratio':>7}")
    for name, ours, base in rows:
        print(f"{name:28} {_fmt(ours):>12} {_fmt(base):>12} {ours / base:7.2f}")
    print("baseline: plain persistent.Persistent attribute / the same Python method / class "
          "attribute 3 classes up / plain ZODB commit, measured in this run")
    return 0


def _fmt(seconds: float) -> str:
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e3:.2f} ms"


if __name__ == "__main__":
    raise SystemExit(main(__import__("sys").argv[1:]))
