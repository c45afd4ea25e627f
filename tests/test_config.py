"""The one settings table (telos.config): sources and precedence, genesis seeding,
the `config` command, and a grep test that nothing reads its variables behind its back."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from telos import config
from telos.errors import ConfigError
from telos.uvm import UvmObject

REPO = Path(__file__).resolve().parent.parent
DECLARED_ENV = {s.env for s in config.SETTINGS if s.env}


# -- the table ----------------------------------------------------------------------------------

def test_every_setting_is_declared_once_with_help_and_a_valid_default():
    names = [s.name for s in config.SETTINGS]
    assert len(names) == len(set(names))
    envs = [s.env for s in config.SETTINGS if s.env]
    assert len(envs) == len(set(envs))
    for s in config.SETTINGS:
        assert s.help and s.scope in (config.PROCESS, config.IMAGE), s
        if s.default is not None:
            s.convert(s.default)   # a default its own converter refuses is a bug


# -- sources and precedence ---------------------------------------------------------------------

def test_a_process_setting_comes_from_the_environment_else_the_default(monkeypatch):
    monkeypatch.delenv("TELOS_BRIDGE_IN_FLIGHT", raising=False)
    v = config.lookup("bridge_in_flight")
    assert (v.value, v.source, v.where) == (64, "default", "TELOS_BRIDGE_IN_FLIGHT")
    monkeypatch.setenv("TELOS_BRIDGE_IN_FLIGHT", "5")
    v = config.lookup("bridge_in_flight")
    assert (v.value, v.source) == (5, "env")
    assert config.get("bridge_in_flight") == 5
    monkeypatch.setenv("TELOS_BRIDGE_IN_FLIGHT", "  ")      # blank counts as unset
    assert config.get("bridge_in_flight") == 64


def test_a_bad_value_is_one_sentence_naming_the_variable_value_and_expectation(monkeypatch):
    monkeypatch.setenv("TELOS_BRIDGE_CURVE", "sometimes")
    with pytest.raises(ConfigError) as e:
        config.get("bridge_curve")
    assert str(e.value) == "TELOS_BRIDGE_CURVE='sometimes': expected one of auto, on, off"
    monkeypatch.setenv("TELOS_SANDBOX_NO_DROP", "perhaps")
    with pytest.raises(ConfigError, match=r"^TELOS_SANDBOX_NO_DROP='perhaps': expected one of"):
        config.get("sandbox_no_drop")


def _image(**slots):
    """Enough of an image for image_setting: its ``config`` prototype."""
    return SimpleNamespace(config=UvmObject(**slots))


def test_an_image_setting_comes_from_env_then_the_config_slot_then_the_default(monkeypatch):
    monkeypatch.delenv("TELOS_LLM_BACKEND", raising=False)
    assert config.image_setting(None, "llm_backend") == "auto"
    assert config.image_setting(_image(), "llm_backend") == "auto"
    img = _image(llm_backend="ollama", kernel_max_attempts="2", ollama_host=None)
    v = config.lookup("llm_backend", img)
    assert (v.value, v.source, v.where) == ("ollama", "image", "Config.llm_backend")
    assert config.image_setting(img, "kernel_max_attempts") == 2       # converted
    assert config.lookup("ollama_host", img).source == "default"       # None counts as unset
    monkeypatch.setenv("TELOS_LLM_BACKEND", "embedded")                  # this process only
    v = config.lookup("llm_backend", img)
    assert (v.value, v.source, v.where) == ("embedded", "env", "TELOS_LLM_BACKEND")


def test_a_bad_slot_is_named_as_a_config_slot():
    with pytest.raises(ConfigError) as e:
        config.image_setting(_image(kernel_max_attempts=0), "kernel_max_attempts")
    assert str(e.value) == "Config.kernel_max_attempts=0: must be at least 1"
    with pytest.raises(ConfigError, match=r"^Config.vram_budget_gb='lots': expected a number"):
        config.image_setting(_image(vram_budget_gb="lots"), "vram_budget_gb")


def test_a_config_slot_written_by_an_editor_is_checked_and_converted():
    assert config.check_image_slot("kernel_enabled", "off") is False
    assert config.check_image_slot("vram_budget_gb", "4") == 4.0
    assert config.check_image_slot("ollama_host", None) is None           # unsets
    assert config.check_image_slot("motto", "anything") == "anything"     # not a setting
    with pytest.raises(ConfigError, match=r"^Config.llm_backend='gpt': expected one of"):
        config.check_image_slot("llm_backend", "gpt")
    # a process setting in the image would have no effect (a client could think it had)
    with pytest.raises(ConfigError, match="TELOS_SANDBOX_NO_DROP in the environment"):
        config.check_image_slot("sandbox_no_drop", True)


def test_process_and_image_settings_are_read_by_their_own_function():
    with pytest.raises(KeyError, match="process setting"):
        config.image_setting(None, "home")
    with pytest.raises(KeyError):
        config.get("no_such_setting")


def test_get_int_keeps_its_contract(monkeypatch):
    monkeypatch.setenv("TELOS_BRIDGE_MAX_SLOT_BYTES", "lots")
    with pytest.raises(ConfigError, match="TELOS_BRIDGE_MAX_SLOT_BYTES='lots'"):
        config.get_int("bridge_max_slot_bytes")


def test_secrets_are_never_copied_into_a_snapshot(monkeypatch):
    secret = "ab" * 32
    monkeypatch.setenv("TELOS_BACKUP_KEY", secret)
    snap = config.snapshot()
    assert snap["backup_key"] == "(set)" and secret not in json.dumps(snap, default=str)


@pytest.mark.parametrize("dsn", ["postgresql://telos:hunter2@db:5432/telos",
                                 "postgresql://telos@db/telos?sslmode=require&password=hunter2",
                                 "host=db dbname=telos password=hunter2"])
def test_a_database_password_is_never_shown_nor_recorded(monkeypatch, capsys, dsn):
    """The storage address is shown (status, config, backup sets) with its password as ***."""
    from telos.cli import main
    from telos.storage import redact
    monkeypatch.setenv("TELOS_STORAGE", dsn)
    snap = json.dumps(config.snapshot())
    assert "hunter2" not in snap and "***" in snap
    assert redact(dsn) == config.setting("storage").display(dsn) and "hunter2" not in redact(dsn)
    main(["config", "storage", "--json"])
    out = capsys.readouterr().out
    assert "hunter2" not in out and "***" in out


# -- genesis seeds Config from the table --------------------------------------------------------

def test_seed_config_adds_missing_slots_and_keeps_existing_ones():
    cfg = UvmObject(l1_capacity=10)
    added = config.seed_config(cfg)
    image_names = {s.name for s in config.SETTINGS if s.scope == config.IMAGE}
    assert set(added) == image_names - {"l1_capacity"}
    assert cfg.l1_capacity == 10 and cfg.kernel_enabled is True
    assert config.seed_config(cfg) == []


def test_an_awakened_image_has_every_image_setting_in_config(image):
    slots = image.config._data
    for s in config.SETTINGS:
        if s.scope == config.IMAGE:
            assert s.name in slots, s.name
            assert slots[s.name] == s.default
        else:
            assert s.name not in slots, s.name


# -- nothing reads the table's variables behind its back ----------------------------------------

def _env_accesses(tree: ast.AST):
    """(line, key or None) for each os.environ[...] / os.environ.get|setdefault|pop(...) /
    os.getenv(...) / '...' in os.environ; key None when it is not a string literal."""
    def is_environ(node):
        return (isinstance(node, ast.Attribute) and node.attr == "environ"
                and isinstance(node.value, ast.Name) and node.value.id == "os")

    def key(node):
        literal = isinstance(node, ast.Constant) and isinstance(node.value, str)
        return node.value if literal else None

    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and is_environ(node.value):
            yield node.lineno, key(node.slice)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            f = node.func
            if (is_environ(f.value) and f.attr in ("get", "setdefault", "pop")) or (
                    f.attr == "getenv" and isinstance(f.value, ast.Name) and f.value.id == "os"):
                yield node.lineno, key(node.args[0]) if node.args else None
        elif isinstance(node, ast.Compare) and any(is_environ(c) for c in node.comparators):
            yield node.lineno, key(node.left)


def _sources():
    for top in ("telos", "ui"):
        for path in sorted((REPO / top).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            if rel == "telos/config.py" or rel.startswith("telos/settings/"):
                continue
            yield rel, path


def test_no_code_reads_a_setting_from_the_environment_except_through_the_table():
    # master_forge.py is outside the scan on purpose: it runs before the venv exists (standard
    # library only) and cannot import telos.config, whose package needs ZODB.
    offenders = []
    for rel, path in _sources():
        for line, name in _env_accesses(ast.parse(path.read_text(), rel)):
            if name is None or name.startswith("TELOS_") or name in DECLARED_ENV:
                offenders.append(f"{rel}:{line}: {name or 'a computed name'}")
    assert not offenders, "read these through telos.config:\n" + "\n".join(offenders)


def test_every_telos_variable_named_in_the_code_is_in_the_table():
    undeclared = set()
    for rel, path in _sources():
        for node in ast.walk(ast.parse(path.read_text(), rel)):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and node.value.startswith("TELOS_") and node.value.isupper()
                    and node.value.replace("_", "").isalnum() and node.value not in DECLARED_ENV):
                undeclared.add(f"{rel}: {node.value}")
    assert not undeclared, sorted(undeclared)


# -- `config` ---------------------------------------------------------------------------------

def _listing(stdout: str) -> dict[str, tuple[str, str]]:
    rows = {}
    for line in stdout.splitlines()[1:]:
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[0] in {s.name for s in config.SETTINGS}:
            rows[parts[0]] = (parts[1], parts[2])
    return rows


def test_config_without_an_image_says_so_and_lists_the_process_settings(cli, telos_home):
    r = cli("config", env={"TELOS_BRIDGE_IN_FLIGHT": "9", "TELOS_BACKUP_KEY": "cd" * 32})
    assert r.returncode == 0, r.stderr
    first = r.stdout.splitlines()[0]
    assert first.startswith("image: not reachable (no image at ") and "process settings" in first
    rows = _listing(r.stdout)
    assert rows["bridge_in_flight"] == ("9", "env TELOS_BRIDGE_IN_FLIGHT")
    assert rows["bridge_client_in_flight"] == ("16", "default")
    assert rows["home"] == (str(telos_home), "env TELOS_HOME")
    assert rows["backup_key"] == ("(set)", "env TELOS_BACKUP_KEY") and "cd" * 32 not in r.stdout
    assert "kernel_enabled" not in rows


def test_config_reads_the_image_telos_storage_names(cli, tmp_path):
    """The image of TELOS_STORAGE, not the home's telos.fs (on PostgreSQL there is none)."""
    from telos import open_image
    other = tmp_path / "elsewhere" / "other.fs"
    other.parent.mkdir()
    im = open_image(other)
    try:
        with im.thought("tune"):
            im.config.l1_capacity = 4321
    finally:
        im.close()
    r = cli("config", "l1_capacity", env={"TELOS_STORAGE": f"file:{other}"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == f"image: file:{other} (read-only)"
    assert _listing(r.stdout)["l1_capacity"] == ("4321", "image Config.l1_capacity")


def test_config_reads_the_image_through_zeo_and_names_each_source(cli, zeo_server):
    from telos import open_image
    im = open_image(zeo=zeo_server)
    try:
        with im.thought("tune"):
            im.config.l1_capacity = 1234
    finally:
        im.close()
    r = cli("config", "--json", env={"TELOS_ZEO": zeo_server, "TELOS_LLM_BACKEND": "embedded"})
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["image"] == f"through ZEO at {zeo_server} (read-only)"
    by = {row["name"]: row for row in out["settings"]}
    assert (by["l1_capacity"]["value"], by["l1_capacity"]["source"]) == (1234, "image")
    assert (by["llm_backend"]["value"], by["llm_backend"]["source"]) == ("embedded", "env")
    assert by["zeo"]["source"] == "env"


def test_config_marks_an_invalid_value_and_fails(cli):
    r = cli("config", "bridge_curve", "-v", env={"TELOS_BRIDGE_CURVE": "maybe"})
    assert r.returncode == 1
    assert "bridge_curve  INVALID: TELOS_BRIDGE_CURVE='maybe': expected one of auto, on, off" \
        in r.stdout
    assert "auto | on | off; default auto" in r.stdout
