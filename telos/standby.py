"""A streaming standby of the home's PostgreSQL cluster, promotion, and a heartbeat that promotes.

``standby init [--sync]``: ``pg_basebackup -R -X stream`` of the primary (``$TELOS_HOME/pg/data``)
into ``$TELOS_HOME/pg/standby`` on another port, started as a hot standby. ``--sync`` makes the
primary wait for the standby before acknowledging a commit (``synchronous_standby_names``): a
thought acknowledged is then on both machines' disks. It also writes ``$TELOS_HOME/storage.conf``
(a ZConfig ``<relstorage>`` with ``replica-conf``: the primary's and the standby's addresses), to
use as ``TELOS_STORAGE``: RelStorage moves its connections to the next address when one fails.

``standby promote``: ``pg_ctl promote`` — the standby takes writes. ``standby watch``: a heartbeat
(connect + ``SELECT 1`` every ``interval`` seconds) that promotes the standby after ``misses``
heartbeats in a row failed.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Callable

from telos import atomic, pg
from telos.errors import ConfigError

log = logging.getLogger(__name__)

APP_NAME = "telos_standby"


def standby_dir(home: Path) -> Path:
    return pg.pg_dir(home) / "standby"


def storage_conf(home: Path) -> Path:
    return Path(home) / "storage.conf"


def replicas_file(home: Path) -> Path:
    return Path(home) / "replicas.conf"


def _save_state(home: Path, state: dict) -> None:
    atomic.write_text(pg.state_file(home), json.dumps(state, indent=1))


def init(home: Path, *, sync: bool = False, port: int | None = None) -> dict:
    """Base-backup the running primary into a standby, start it; returns the cluster state."""
    home = Path(home).resolve()
    state = pg.read_state(home)
    if state.get("standby"):
        raise ConfigError(f"{home} already has a standby (port {state['standby']['port']})")
    if not pg.is_running(home):
        raise ConfigError("the primary is not running: python3 master_forge.py pg start")
    target = standby_dir(home)
    port = port or pg.free_port()
    pg.run_tool([pg.bin_path("pg_basebackup"), "-D", str(target), "-R", "-X", "stream",
                 "-h", state["socket_dir"], "-p", str(state["port"]), "-U", pg.SUPERUSER,
                 "-c", "fast"], timeout=600)
    with open(target / "postgresql.auto.conf", "a") as fh:   # the last setting of a name wins
        fh.write(f"port = {port}\n"
                 f"primary_conninfo = 'host={state['socket_dir']} port={state['port']} "
                 f"user={pg.SUPERUSER} application_name={APP_NAME}'\n")
    pg.run_tool([pg.bin_path("pg_ctl"), "-D", str(target), "-l", str(pg.pg_dir(home) / "standby.log"),
                 "-w", "-t", "60", "start"], timeout=90)
    if sync:
        set_synchronous(home, True)
        _wait_for(home, "sync")
    state["standby"] = {"port": port, "data": str(target), "sync": sync}
    _save_state(home, state)
    _write_client_conf(home, state)
    return state


def set_synchronous(home: Path, on: bool) -> None:
    conn = pg.connect(home)
    try:
        with conn.cursor() as cur:
            cur.execute("ALTER SYSTEM SET synchronous_standby_names = %s", (APP_NAME if on else "",))
            cur.execute("SELECT pg_reload_conf()")
    finally:
        conn.close()


def _wait_for(home: Path, sync_state: str, timeout: float = 30.0) -> None:
    """Until the primary reports our standby streaming in ``sync_state`` (a reload takes a moment)."""
    deadline = time.monotonic() + timeout
    while True:
        conn = pg.connect(home)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT sync_state FROM pg_stat_replication WHERE application_name = %s "
                            "AND state = 'streaming'", (APP_NAME,))
                row = cur.fetchone()
        finally:
            conn.close()
        if row and row[0] == sync_state:
            return
        if time.monotonic() > deadline:
            raise pg.PostgresError(f"the standby is not streaming {sync_state} after {timeout:g} s "
                                   f"(pg_stat_replication: {row})")
        time.sleep(0.1)


def _write_client_conf(home: Path, state: dict) -> None:
    """``replicas.conf`` (the server taking writes first: after a promotion, the promoted one)
    and ``storage.conf``; the passfile learns the standby. Each file is replaced atomically
    (clients read replicas.conf while it changes; the passfile holds the only password)."""
    ports = [state["port"], state["standby"]["port"]]
    if state.get("promoted"):
        ports = [state["promoted"]["port"]] + [p for p in ports if p != state["promoted"]["port"]]
    atomic.write_text(replicas_file(home), "".join(f"127.0.0.1:{p}\n" for p in ports))
    pf = pg.passfile(home)
    line = pf.read_text().splitlines()[0]
    password = line.split(":", 4)[4]
    atomic.write_text(pf, "".join(f"127.0.0.1:{p}:*:{pg.SUPERUSER}:{password}\n" for p in ports))
    dsn = f"user={pg.SUPERUSER} dbname={state.get('database', pg.DATABASE)} passfile={pf}"
    atomic.write_text(storage_conf(home), 
        "%import relstorage\n"
        "# TelOS: the home's primary and its standby (telos.standby); use as TELOS_STORAGE\n"
        "<relstorage>\n  keep-history true\n"
        f"  replica-conf {replicas_file(home)}\n"
        f"  <postgresql>\n    driver psycopg2\n    dsn {dsn}\n  </postgresql>\n</relstorage>\n")


def status(home: Path) -> dict:
    home = Path(home).resolve()
    state = pg.read_state(home)
    out = {"primary_port": state["port"], "standby": state.get("standby"), "replication": []}
    try:
        conn = pg.connect(home)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT application_name, state, sync_state, "
                            "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) "
                            "FROM pg_stat_replication")
                out["replication"] = [dict(zip(("name", "state", "sync", "lag_bytes"), r))
                                      for r in cur.fetchall()]
        finally:
            conn.close()
        out["primary"] = "up"
    except Exception as exc:  # noqa: BLE001 -- psycopg2.Error: the primary is down, say so
        out["primary"] = f"down ({type(exc).__name__})"
    sb = state.get("standby")
    if sb:
        out["standby_running"] = pg.run_tool([pg.bin_path("pg_ctl"), "-D", sb["data"], "status"],
                                             check=False).returncode == 0
    if state.get("promoted"):   # the standby took over: it is the primary until `standby rebuild`
        out["promoted"] = dict(state["promoted"], takes_writes=_takes_writes(home, state["promoted"]))
    return out


def _takes_writes(home: Path, promoted: dict) -> bool:
    """The promoted server answers and is out of recovery (it accepts writes)."""
    import psycopg2
    try:
        conn = psycopg2.connect(host=pg.read_state(home)["socket_dir"], port=promoted["port"],
                                user=pg.SUPERUSER, dbname="postgres", connect_timeout=2)
    except psycopg2.Error:
        return False
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT NOT pg_is_in_recovery()")
            return bool(cur.fetchone()[0])
    except psycopg2.Error:
        return False
    finally:
        conn.close()


def promote(home: Path) -> dict:
    """Promote the standby (it takes writes); the home's records now name it the primary."""
    home = Path(home).resolve()
    state = pg.read_state(home)
    sb = state.get("standby")
    if not sb:
        raise ConfigError(f"{home} has no standby (python3 master_forge.py standby init)")
    pg.run_tool([pg.bin_path("pg_ctl"), "-D", sb["data"], "-w", "-t", "60", "promote"], timeout=90)
    state["promoted"] = {"port": sb["port"], "data": sb["data"], "at": time.time(),
                         "old_primary_port": state["port"]}
    _save_state(home, state)
    # fence the old primary: if it was only slow (not dead) it must not take writes beside the
    # promoted one, and clients must try the promoted one first
    pg.run_tool([pg.bin_path("pg_ctl"), "-D", state["data"], "-m", "immediate", "-w", "stop"],
                check=False)
    _write_client_conf(home, state)
    return state


def rebuild(home: Path) -> dict:
    """After a promotion: the old primary becomes the new standby (a fresh base backup of the
    new primary into its directory, the old contents discarded), and the roles swap in the home's
    records and in ``replicas.conf`` (the new primary first)."""
    import shutil
    home = Path(home).resolve()
    state = pg.read_state(home)
    promoted = state.get("promoted")
    if not promoted:
        raise ConfigError("nothing to rebuild: the standby has not been promoted")
    old_data, old_port = Path(state["data"]), state["port"]
    pg.run_tool([pg.bin_path("pg_ctl"), "-D", str(old_data), "-m", "immediate", "-w", "stop"],
                check=False)   # if it came back on its own, it must not take writes
    shutil.rmtree(old_data)
    sync = bool(state["standby"].get("sync"))
    new_port = promoted["port"]
    pg.run_tool([pg.bin_path("pg_basebackup"), "-D", str(old_data), "-R", "-X", "stream",
                 "-h", state["socket_dir"], "-p", str(new_port), "-U", pg.SUPERUSER, "-c", "fast"],
                timeout=600)
    with open(old_data / "postgresql.auto.conf", "a") as fh:
        fh.write(f"port = {old_port}\n"
                 f"primary_conninfo = 'host={state['socket_dir']} port={new_port} "
                 f"user={pg.SUPERUSER} application_name={APP_NAME}'\n")
    pg.run_tool([pg.bin_path("pg_ctl"), "-D", str(old_data), "-l",
                 str(pg.pg_dir(home) / f"postgres-{old_port}.log"), "-w", "-t", "60", "start"],
                timeout=90)
    state.update(port=new_port, data=promoted["data"])
    state["standby"] = {"port": old_port, "data": str(old_data), "sync": sync}
    del state["promoted"]
    _save_state(home, state)
    set_synchronous(home, sync)
    _wait_for(home, "sync" if sync else "async")
    _write_client_conf(home, state)
    return state


def primary_answers(home: Path, timeout: float = 1.0) -> bool:
    import psycopg2
    state = pg.read_state(home)
    try:
        conn = psycopg2.connect(host=state["socket_dir"], port=state["port"], user=pg.SUPERUSER,
                                dbname="postgres", connect_timeout=max(1, int(timeout)))
    except psycopg2.Error:
        return False
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
            return True
    except psycopg2.Error:
        return False
    finally:
        conn.close()


def watch(home: Path, *, interval: float = 1.0, misses: int = 3,
          stop: Callable[[], bool] = lambda: False) -> float | None:
    """Heartbeat the primary; after ``misses`` failures in a row promote the standby and return
    the time of promotion (None when ``stop()`` said so first)."""
    if pg.read_state(home).get("promoted"):
        log.warning("the standby has already been promoted: nothing to watch until "
                    "`python3 master_forge.py standby rebuild`")
        return None
    missed = 0
    while not stop():
        if primary_answers(home, timeout=interval):
            missed = 0
        else:
            missed += 1
            log.warning("primary heartbeat missed (%d/%d)", missed, misses)
            if missed >= misses:
                promote(home)
                log.warning("standby promoted after %d missed heartbeats", missed)
                return time.time()
        time.sleep(interval)
    return None


def stop(home: Path) -> bool:
    """Stop the standby (or the promoted one) if it runs."""
    state = pg.read_state(Path(home).resolve())
    sb = state.get("standby")
    if not sb:
        return False
    cp = pg.run_tool([pg.bin_path("pg_ctl"), "-D", sb["data"], "-m", "fast", "-w", "stop"], check=False)
    return cp.returncode == 0
