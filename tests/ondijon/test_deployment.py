"""Deployment files: docker-compose.yml (no Docker engine here, so it is parsed), settings
from the environment, and the lock file that the README's commands install."""

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_stack():
    services = compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert "daphne" in " ".join(services["web"]["command"])
    assert services["worker"]["command"][:4] == ["celery", "-A", "ondijon", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "ondijon", "beat"]
    for name in ("postgres", "redis", "web"):
        assert "healthcheck" in services[name], name
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://")
        assert "SECRET_KEY" in env
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert {"pgdata", "redisdata"} <= set(compose()["volumes"])


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


def test_every_declared_dependency_is_pinned_in_the_lock():
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    pinned = {
        line.split("==")[0].strip().lower().replace("_", "-")
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if "==" in line
    }
    for spec in declared:
        name = Requirement(spec).name.lower().replace("_", "-")
        assert name in pinned, f"{name} is declared in pyproject.toml but not pinned"
