"""docker-compose.yml, the balancer's config and the image, checked against what the code
expects: no container engine runs here, so they are parsed, the compose file is validated
against the Compose Specification's schema, and every CG_* variable is loaded through the
real settings. HAProxy itself checks its config."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from packaging.requirements import Requirement

from gateway.settings import Settings, load_settings
from tests.tools import compose_schema, haproxy_binary

REPO = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")
HAPROXY_CFG = (REPO / "deploy" / "haproxy" / "haproxy.cfg").read_text(encoding="utf-8")


def instructions(name: str) -> list[str]:
    """The arguments of every Dockerfile instruction ``name``, continuation lines joined."""
    joined = DOCKERFILE.replace("\\\n", " ")
    return [m.group(1).strip() for m in re.finditer(rf"^{name} (.+)$", joined, re.MULTILINE)]


def gateway_settings() -> Settings:
    """The compose gateway's settings: its mounted config file under its environment."""
    gateway = SERVICES["gateway"]
    env = {k: str(v) for k, v in gateway["environment"].items()}
    mounts = dict(reversed(v.removesuffix(":ro").split(":", 1)) for v in gateway["volumes"])
    return load_settings(REPO / mounts[env["CG_CONFIG"]], env)


def test_the_compose_file_follows_the_compose_specification() -> None:
    schema = compose_schema()
    errors = [
        f"{'.'.join(map(str, e.path))}: {e.message}"
        for e in jsonschema.Draft201909Validator(schema).iter_errors(COMPOSE)
    ]
    assert errors == []


def test_compose_runs_redis_the_sandbox_replicas_and_a_balancer_each_with_a_health_check() -> None:
    assert set(SERVICES) == {"redis", "sandbox", "gateway", "balancer"}
    for name, service in SERVICES.items():
        assert service["healthcheck"]["test"][0] == "CMD", name
    assert SERVICES["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert SERVICES["balancer"]["image"].startswith("haproxy:")
    for name in ("sandbox", "gateway"):
        assert SERVICES[name]["build"] == "."


def test_replicas_are_scaled_and_reached_only_through_the_balancer() -> None:
    gateway = SERVICES["gateway"]
    assert gateway["deploy"]["replicas"] >= 2
    # A fixed host port could be bound by one replica only.
    assert "ports" not in gateway
    assert gateway["expose"] == ["8000"]
    assert SERVICES["balancer"]["ports"] == ["8000:8080"]
    assert "    bind :8080\n" in HAPROXY_CFG
    assert "server-template gateway 10 gateway:8000 " in HAPROXY_CFG
    assert gateway["depends_on"] == {
        "sandbox": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }


def test_every_gateway_variable_is_a_settings_key_and_shares_redis() -> None:
    env = SERVICES["gateway"]["environment"]
    settings = gateway_settings()
    # Each CG_SECTION__KEY is applied (load_settings refuses unknown keys); CG_CONFIG is the
    # one variable that is not a key: it names the file.
    assert [name for name in env if name.startswith("CG_") and "__" not in name] == ["CG_CONFIG"]
    assert settings.cache.redis_url == "redis://redis:6379/0"
    assert settings.apq.store == "redis"
    assert settings.limits.rate.storage_url == "redis://redis:6379/0"
    assert settings.server.shutdown_delay == 3
    assert {s.base_url for s in settings.sources.values()} == {
        f"http://sandbox:8100/{name}"
        for name in ("crm", "orders", "loyalty", "preferences", "support")
    }
    assert "--port" in SERVICES["sandbox"]["command"]
    assert SERVICES["sandbox"]["command"][-1] == "8100"


def test_a_stopping_replica_is_taken_out_before_it_closes_and_is_never_killed_mid_request() -> None:
    settings = gateway_settings()
    interval = re.search(r"default-server check inter (\d+)s fall (\d+)", HAPROXY_CFG)
    assert interval is not None
    assert "option httpchk GET /readyz" in HAPROXY_CFG
    seconds_to_notice = int(interval.group(1)) * int(interval.group(2))
    assert seconds_to_notice < settings.server.shutdown_delay
    grace = int(SERVICES["gateway"]["stop_grace_period"].removesuffix("s"))
    assert grace > settings.server.shutdown_delay + settings.server.shutdown_grace


def test_haproxy_accepts_the_shipped_config() -> None:
    check = subprocess.run(
        [haproxy_binary(), "-c", "-f", str(REPO / "deploy" / "haproxy" / "haproxy.cfg")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_image_is_multi_stage_non_root_and_checks_its_own_health() -> None:
    # npm (for GraphiQL's files) and pip stay in the build stages: the image gets the venv.
    assert instructions("FROM") == [
        "node:20-bookworm-slim AS node",
        "python:3.11-slim-bookworm AS build",
        "python:3.11-slim-bookworm",
    ]
    runtime = DOCKERFILE.rsplit("\nFROM ", 1)[1]
    assert re.findall(r"^COPY .*$", runtime, re.MULTILINE) == [
        "COPY --from=build /opt/customer-graph /opt/customer-graph"
    ]
    assert instructions("USER") == ["10001:10001"]
    assert instructions("EXPOSE") == ["8000"]
    (healthcheck,) = instructions("HEALTHCHECK")
    assert "http://127.0.0.1:8000/healthz" in healthcheck
    (command,) = instructions("CMD")
    assert json.loads(command) == [
        "customer-graph",
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
    ]
    assert "CG_CONFIG=/etc/customer-graph/gateway.toml" in instructions("ENV")[-1]
    installs = [r for r in instructions("RUN") if "pip install" in r]
    assert len(installs) == 1
    assert "pip install -c constraints.txt " in installs[0]
    # Into the installed package, where the GraphiQL page looks for them.
    assert "&& customer-graph graphiql-assets " in installs[0]


def test_the_build_context_holds_only_what_the_image_copies() -> None:
    lines = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line for line in lines if line and not line.startswith("#")]
    # Everything is excluded, then what the Dockerfile copies is let back in.
    assert patterns[0] == "*"
    allowed = {p.removeprefix("!").rstrip("/") for p in patterns if p.startswith("!")}
    copied = set()
    for copy in instructions("COPY"):
        if copy.startswith("--from="):
            continue
        copied.update(shlex.split(copy)[:-1])
    assert copied == allowed
    assert ".venv" not in allowed
    # Every package the project installs is copied.
    found = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    packages = found["tool"]["setuptools"]["packages"]["find"]["include"]
    assert {p.removesuffix("*") for p in packages} <= copied


def _requirements(name: str, extras: frozenset[str]) -> list[Requirement]:
    """What distribution ``name`` requires when installed with ``extras``."""
    found = []
    for line in metadata.requires(name) or []:
        requirement = Requirement(line)
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": e}) for e in extras | {""}):
            found.append(requirement)
    return found


def test_the_image_installs_exactly_the_versions_the_suite_runs_with() -> None:
    pins: dict[str, str] = {}
    for line in (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[_canonical(name)] = version
    # Everything the gateway needs at run time, with the otel extra the image may add.
    todo = [("customer-graph", frozenset({"otel"}))]
    seen: set[tuple[str, ...]] = set()
    while todo:
        name, extras = todo.pop()
        for requirement in _requirements(name, extras):
            key = _canonical(requirement.name)
            if (key, *sorted(requirement.extras)) in seen:
                continue
            seen.add((key, *sorted(requirement.extras)))
            installed = metadata.version(requirement.name)
            assert pins.get(key) == installed, (
                f"{requirement.name} {installed} is installed but constraints.txt pins "
                f"{pins.get(key)}: run ./dev lock, then ./dev test"
            )
            todo.append((requirement.name, frozenset(requirement.extras)))
    assert len(seen) > 30


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
