"""Several clients at once, streams interleaved: each receives only its own tokens, in order."""

from __future__ import annotations

import threading

from telos.bridge.client import BridgeClient
from tests.service.scripted import expected


def test_concurrent_clients_get_only_their_own_tokens(service):
    n_clients, per_client, n_tokens = 5, 3, 30
    clients = [BridgeClient(service.endpoint, curve=None, timeout=60) for _ in range(n_clients)]
    results: dict[tuple[int, int], list] = {}
    errors: list[BaseException] = []
    interleaved = threading.Event()
    first_done = []

    def run(ci: int, c: BridgeClient) -> None:
        try:
            calls = [(k, c.ask(f"c{ci}q{k} {n_tokens} 3")) for k in range(per_client)]
            for k, call in calls:
                parts = list(call)
                results[(ci, k)] = [(p.request_id, p.seq, p.token) for p in parts] + [call.final]
                if not first_done:
                    first_done.append((ci, k))
                elif len(parts) == n_tokens:
                    interleaved.set()
        except BaseException as exc:   # reported below, with the assertion that fails
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        for c in clients:
            c.close()
    assert not errors, errors
    assert len(results) == n_clients * per_client
    for (ci, k), rows in results.items():
        final = rows[-1]
        parts = rows[:-1]
        tag = f"c{ci}q{k}"
        assert [tok for _, _, tok in parts] == expected(tag, n_tokens), tag
        assert [seq for _, seq, _ in parts] == list(range(n_tokens))
        assert {rid for rid, _, _ in parts} == {final.request_id}
        assert final.full_text == "".join(expected(tag, n_tokens))


def test_streams_interleave_on_the_wire(service):
    """Two streams on one raw DEALER arrive interleaved, and each token names its own request."""
    import zmq

    from telos.bridge import protocol as P
    ctx = zmq.Context.instance()
    d = ctx.socket(zmq.DEALER)
    d.setsockopt(zmq.LINGER, 0)
    d.setsockopt(zmq.RCVTIMEO, 30_000)
    d.connect(service.endpoint)
    try:
        d.send(P.encode(P.UserQueryRequest(request_id="A", query_text="left 40 5")))
        d.send(P.encode(P.UserQueryRequest(request_id="B", query_text="right 40 5")))
        arrivals, tokens, finals = [], {"A": [], "B": []}, {}
        while len(finals) < 2:
            msg = P.decode(d.recv())
            if msg.request_id is None or msg.command == "REQUEST_PROGRESS":   # pushed / not final
                continue
            if msg.command == "PERSONA_RESPONSE_PARTIAL":
                arrivals.append(msg.request_id)
                tokens[msg.request_id].append(msg.token)
            else:
                finals[msg.request_id] = msg
    finally:
        d.close()
    assert tokens["A"] == expected("left", 40) and tokens["B"] == expected("right", 40)
    switches = sum(1 for x, y in zip(arrivals, arrivals[1:]) if x != y)
    assert switches >= 10, f"streams did not interleave: {arrivals}"
    assert finals["A"].full_text == "".join(expected("left", 40))
