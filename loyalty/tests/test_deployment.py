"""The production settings and the compose file agree with the code."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def test_production_settings_pass_check_deploy() -> None:
    env = dict(os.environ)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    env.update(
        DJANGO_SETTINGS_MODULE="loyalty.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        BASE_DOMAIN="loyalty.example.jo",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_compose_runs_every_process_on_the_same_settings() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]

    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name in services:
        assert "healthcheck" in services[name], name
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        for variable in ("DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "BASE_DOMAIN"):
            assert variable in environment, (name, variable)
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]


def test_compose_stays_within_the_connection_budget() -> None:
    """Web processes x threads (one pooled connection each) + the worker's children,
    with room for commands, under PostgreSQL's default max_connections (100)."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    web = services["web"]["environment"]

    def default(value: str) -> int:  # "${WEB_THREADS:-4}" -> 4
        return int(re.fullmatch(r"\$\{\w+:-(\d+)\}", value)[1])  # type: ignore[index]

    workers, threads = default(web["WEB_WORKERS"]), default(web["WEB_THREADS"])
    assert default(web["DATABASE_POOL_SIZE"]) == threads
    worker = services["worker"]["command"]
    concurrency = int(worker[worker.index("--concurrency") + 1])
    assert workers * threads + concurrency + 10 <= 100


def test_every_environment_variable_the_settings_read_is_documented() -> None:
    documented = (ROOT / ".env.example").read_text()
    source = "\n".join(p.read_text() for p in (ROOT / "loyalty" / "settings").glob("*.py"))
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', source))
    assert read, "no variables found"
    missing = sorted(v for v in read if v not in documented)
    assert missing == []


def test_models_and_migrations_agree(django_db_blocker) -> None:
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_platform_apps_and_merchant_apps_never_mix() -> None:
    platform_only = {"tenants", "customers", "billing"}
    merchant_only = {"points", "rewards", "notifications"}
    assert platform_only <= set(settings.SHARED_APPS)
    assert not platform_only & set(settings.TENANT_APPS)
    assert merchant_only <= set(settings.TENANT_APPS)
    assert not merchant_only & set(settings.SHARED_APPS)
