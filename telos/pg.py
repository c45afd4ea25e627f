"""A private PostgreSQL cluster under ``$TELOS_HOME/pg`` for RelStorage (``pg init|start|stop|status``).

Layout (the cluster runs as the ``postgres`` user when we are root: ``initdb`` refuses root)::

    $TELOS_HOME/            mode 0711 while it holds a cluster: others may traverse, not list
      pg/                   owned by postgres, 0700: data/, postgres.log, the unix socket
      pg.json               port and socket directory of the cluster (ours, 0600)
      keys/pgpass           libpq password file for the TCP listener (ours, 0600)

It listens on ``127.0.0.1:PORT`` (a free port chosen at init; password auth, the password in
``keys/pgpass``) and on a unix socket in ``pg/`` (trust: only root and postgres reach that
directory). :func:`dsn` names the database for ``TELOS_STORAGE``; the password stays in the
passfile, never in the DSN.
"""

from __future__ import annotations

import glob
import json
import logging
import os
import pwd
import secrets
import shutil
import socket
import subprocess
from pathlib import Path

from telos import atomic, config
from telos.errors import ConfigError, PostgresError  # noqa: F401 - pg.PostgresError is public

log = logging.getLogger(__name__)

DATABASE = "telos"
SUPERUSER = "postgres"
OS_USER = "postgres"      # who runs the cluster when we are root


def bin_path(name: str) -> str:
    """A PostgreSQL server tool: PATH first, else Debian's newest /usr/lib/postgresql/N/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if not candidates:
        raise ConfigError(f"PostgreSQL's {name} is not installed (Debian: apt-get install postgresql-15)")
    return candidates[-1]


def available() -> bool:
    try:
        bin_path("initdb")
        bin_path("pg_ctl")
        return True
    except ConfigError:
        return False


def pg_dir(home: Path) -> Path:
    return Path(home) / "pg"


def data_dir(home: Path) -> Path:
    return pg_dir(home) / "data"


def state_file(home: Path) -> Path:
    return Path(home) / "pg.json"


def passfile(home: Path) -> Path:
    return Path(home) / "keys" / "pgpass"


def _as_cluster_user() -> list[str]:
    return ["runuser", "-u", OS_USER, "--"] if os.getuid() == 0 else []


def run_tool(args: list[str], *, check: bool = True, cwd: Path | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess:
    """Run a PostgreSQL tool as the cluster's user; PostgresError with its output on failure."""
    cmd = _as_cluster_user() + args
    cp = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                        cwd=str(cwd) if cwd else "/")
    if check and cp.returncode != 0:
        raise PostgresError(f"{Path(args[0]).name} failed ({cp.returncode}): "
                            f"{(cp.stderr or cp.stdout).strip()[-800:]}")
    return cp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_state(home: Path) -> dict:
    try:
        return json.loads(state_file(home).read_text())
    except (OSError, ValueError):
        raise ConfigError(f"no PostgreSQL cluster in {home} (run `python3 master_forge.py pg init`)") from None


def _own(path: Path) -> None:
    if os.getuid() == 0:
        pw = pwd.getpwnam(OS_USER)
        os.chown(path, pw.pw_uid, pw.pw_gid)


def allow_traversal(home: Path) -> None:
    """The cluster's user must reach ``home/pg``: the home gets mode 0711 (search, no listing)."""
    home = Path(home)
    if os.getuid() == 0 and home.stat().st_uid == 0:
        os.chmod(home, config.home_mode(home))


def init(home: Path, port: int | None = None) -> dict:
    """initdb a cluster under ``home/pg`` (idempotent); returns the recorded state."""
    home = Path(home).resolve()
    if (data_dir(home) / "PG_VERSION").exists():
        return read_state(home)
    initdb = bin_path("initdb")
    if os.getuid() == 0:
        try:
            pwd.getpwnam(OS_USER)
        except KeyError:
            raise ConfigError(f"running as root, the cluster needs the {OS_USER!r} user "
                              "(installed with postgresql)") from None
    d = pg_dir(home)
    d.mkdir(mode=0o700, exist_ok=True)
    _own(d)
    os.chmod(d, 0o700)
    allow_traversal(home)
    password = secrets.token_hex(16)
    pw_tmp = d / ".pw"
    pw_tmp.write_text(password + "\n")
    _own(pw_tmp)
    try:
        run_tool([initdb, "-D", str(data_dir(home)), "-U", SUPERUSER, "-E", "UTF8",
                  "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pw_tmp}"],
                 timeout=300)
    finally:
        pw_tmp.unlink(missing_ok=True)
    port = port or free_port()
    conf = data_dir(home) / "postgresql.auto.conf"
    extra = (f"listen_addresses = '127.0.0.1'\nport = {port}\n"
             f"unix_socket_directories = '{d}'\n"
             "unix_socket_permissions = 0700\n"
             "max_connections = 200\n"
             "wal_level = replica\nmax_wal_senders = 10\nhot_standby = on\n")
    with open(conf, "a") as fh:       # as root; the file stays the cluster user's
        fh.write(extra)
    state = {"port": port, "socket_dir": str(d), "data": str(data_dir(home)), "database": DATABASE}
    atomic.write_text(state_file(home), json.dumps(state, indent=1))
    pf = passfile(home)
    pf.parent.mkdir(mode=0o700, exist_ok=True)
    atomic.write_text(pf, f"127.0.0.1:{port}:*:{SUPERUSER}:{password}\n")
    os.chmod(pf, 0o600)
    log.info("PostgreSQL cluster initialised in %s (port %d)", d, port)
    return state


def primary_data(home: Path) -> Path:
    """The primary's data directory: ``pg/data``, or the standby's after a failover (pg.json)."""
    try:
        return Path(json.loads(state_file(home).read_text())["data"])
    except (OSError, ValueError, KeyError):
        return data_dir(home)


def is_running(home: Path) -> bool:
    data = primary_data(home)
    if not (data / "PG_VERSION").exists():
        return False
    cp = run_tool([bin_path("pg_ctl"), "-D", str(data), "status"], check=False)
    return cp.returncode == 0


def start(home: Path, *, database: str = DATABASE) -> dict:
    """Start the cluster (waiting until it accepts connections) and create ``database``."""
    home = Path(home).resolve()
    state = read_state(home)
    if state.get("promoted"):
        raise ConfigError("the standby took over from this cluster's primary: run "
                          "`python3 master_forge.py standby rebuild` (the old primary becomes "
                          "the new standby) instead of starting the old primary again")
    allow_traversal(home)
    if not is_running(home):
        run_tool([bin_path("pg_ctl"), "-D", state["data"], "-l", str(pg_dir(home) / "postgres.log"),
                  "-w", "-t", "60", "start"], timeout=90)
    create_database(home, database)
    return state


def stop(home: Path) -> bool:
    """Stop the cluster (fast shutdown: open sessions are rolled back). False if it was not running."""
    home = Path(home).resolve()
    if not is_running(home):
        return False
    run_tool([bin_path("pg_ctl"), "-D", str(primary_data(home)), "-m", "fast", "-w", "stop"], timeout=90)
    return True


def connect(home: Path, database: str = "postgres"):
    """A psycopg2 connection over the unix socket (autocommit)."""
    import psycopg2
    state = read_state(home)
    conn = psycopg2.connect(host=state["socket_dir"], port=state["port"], user=SUPERUSER,
                            dbname=database)
    conn.autocommit = True
    return conn


def create_database(home: Path, name: str) -> bool:
    """CREATE DATABASE ``name`` unless it exists; True when created."""
    conn = connect(home)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone():
                return False
            cur.execute(f'CREATE DATABASE "{_ident(name)}"')
            return True
    finally:
        conn.close()


def drop_database(home: Path, name: str) -> None:
    conn = connect(home)
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{_ident(name)}" WITH (FORCE)')
    finally:
        conn.close()


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ConfigError(f"database name {name!r}: letters, digits and _ only")
    return name


def dsn(home: Path, database: str = DATABASE) -> str:
    """The ``TELOS_STORAGE`` value for ``database`` over TCP (password from the passfile)."""
    home = Path(home).resolve()
    state = read_state(home)
    return (f"postgresql://{SUPERUSER}@127.0.0.1:{state['port']}/{database}"
            f"?passfile={passfile(home)}")


def status(home: Path) -> dict:
    home = Path(home).resolve()
    state = read_state(home)
    return {**state, "running": is_running(home), "dsn": dsn(home, state.get("database", DATABASE))}
