"""Crash-test child: remembers texts in a loop until killed (see test_crash.py).

argv: home, table.npz, start, rounds, checkpoint_every, archive_at
Prints ``ACK id id ...`` after each committed thought. Uses PrecomputedEmbedder (a table of
real all-MiniLM-L6-v2 vectors computed by the parent) so the child does not load torch.
"""

import os
import sys

import numpy as np


def main() -> None:
    home, table, start, rounds, ckpt_every, archive_at = sys.argv[1:7]
    os.environ["TELOS_HOME"] = home
    data = np.load(table, allow_pickle=True)
    texts = [str(t) for t in data["texts"]]
    from telos import open_image
    from telos.memory import attach
    from telos.memory.embedder import PrecomputedEmbedder
    im = open_image()
    mem = attach(im, embedder=PrecomputedEmbedder(dict(zip(texts, data["vecs"]))))
    pos = int(start)
    for r in range(int(rounds)):
        n = 1 + r % 3
        batch = [texts[(pos + j) % len(texts)] for j in range(n)]
        pos += n
        ids = mem.remember_many(batch)
        print("ACK", *ids, flush=True)
        if int(ckpt_every) and r % int(ckpt_every) == int(ckpt_every) - 1:
            mem.engine.l1.checkpoint()
            mem.engine.lexical.flush()
        if r == int(archive_at):
            mem.archive()
        if r % 7 == 6:
            print("FORGOT", ids[0], flush=True)   # before: the forget may commit, then die
            mem.forget([ids[0]])
    im.close()
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
