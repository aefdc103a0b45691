"""The Kubernetes manifests and the Helm chart: valid against the Kubernetes API's schemas
(kubernetes-validate, strict), rendered by the real helm, and consistent with the gateway:
probes on its endpoints, every CG_* variable a settings key, the drain inside the grace period.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from gateway.settings import ConfigError, Settings, load_settings
from tests import manifests
from tests.manifests import CHART, MANIFESTS, REPO
from tests.tools import helm_binary

KINDS = {"ConfigMap", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service"}
# The oldest Kubernetes the manifests are written for, and the newest the schemas know.
API_VERSIONS = ("1.27.0", "1.37.0")
# Stand-ins for what the Secrets hold.
SECRET_VALUES = {"redis-url": "redis://redis.example:6379/0"}


def by_kind(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found = {d["kind"]: d for d in documents}
    assert len(found) == len(documents), "one object of each kind"
    return found


def plain() -> dict[str, dict[str, Any]]:
    return by_kind(
        [
            document
            for path in sorted(MANIFESTS.glob("*.yaml"))
            for document in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        ]
    )


def render(*options: str) -> dict[str, dict[str, Any]]:
    return by_kind([d for d in yaml.safe_load_all(manifests.render(*options)) if d])


def container(objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    (gateway,) = objects["Deployment"]["spec"]["template"]["spec"]["containers"]
    result: dict[str, Any] = gateway
    return result


def pod_settings(objects: dict[str, dict[str, Any]]) -> tuple[Settings, dict[str, str]]:
    """The settings a pod starts with: its config file from the ConfigMap under its
    environment, with stand-ins for Secret values; and which variables come from Secrets."""
    env: dict[str, str] = {}
    from_secrets: dict[str, str] = {}
    for variable in container(objects)["env"]:
        if "value" in variable:
            env[variable["name"]] = variable["value"]
        else:
            key = variable["valueFrom"]["secretKeyRef"]["key"]
            env[variable["name"]] = SECRET_VALUES.get(key, f"secret-{key}-0123456789abcdef")
            from_secrets[variable["name"]] = key
    mount = container(objects)["volumeMounts"][0]["mountPath"]
    config_file = env["CG_CONFIG"]
    assert config_file.startswith(mount + "/")
    text = objects["ConfigMap"]["data"][config_file.removeprefix(mount + "/")]
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "gateway.toml"
        config.write_text(text, encoding="utf-8")
        return load_settings(config, env), from_secrets


@pytest.mark.parametrize("version", API_VERSIONS)
def test_every_manifest_is_valid_for_the_kubernetes_api(version: str) -> None:
    objects = plain()
    assert set(objects) == KINDS
    for document in objects.values():
        kubernetes_validate.validate(document, version, strict=True)


def check_gateway_objects(objects: dict[str, dict[str, Any]]) -> None:
    """What the gateway needs of its Deployment, Service, HPA and PDB."""
    deployment = objects["Deployment"]
    pod = deployment["spec"]["template"]
    gateway = container(objects)
    settings, from_secrets = pod_settings(objects)

    # Every CG_SECTION__KEY is a settings key (load_settings refuses any other); CG_CONFIG
    # names the file. Redis is shared for everything replicas share.
    names = [v["name"] for v in gateway["env"]]
    assert [n for n in names if n.startswith("CG_") and "__" not in n] == ["CG_CONFIG"]
    assert settings.server.mode == "production"
    assert settings.cache.redis_url == SECRET_VALUES["redis-url"]
    assert settings.limits.rate.storage_url == SECRET_VALUES["redis-url"]
    assert settings.apq.store == "redis"
    # Credentials only ever come from Secrets.
    assert set(settings.secrets) <= set(from_secrets)
    assert {"CG_CACHE__REDIS_URL", "CG_LIMITS__RATE__STORAGE_URL"} <= set(from_secrets)

    # The port the gateway listens on is the one probed and served.
    (port,) = gateway["ports"]
    assert gateway["args"] == ["customer-graph", "serve", "--host", "0.0.0.0", "--port", "8000"]
    assert port == {"name": "http", "containerPort": 8000}
    assert gateway["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert gateway["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert gateway["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert objects["Service"]["spec"]["ports"][0]["targetPort"] == "http"

    # Out of the endpoints before the listener closes; killed only after the drain.
    readiness = gateway["readinessProbe"]
    assert (
        readiness["periodSeconds"] * readiness["failureThreshold"] < settings.server.shutdown_delay
    )
    assert (
        pod["spec"]["terminationGracePeriodSeconds"]
        > settings.server.shutdown_delay + settings.server.shutdown_grace
    )
    assert "lifecycle" not in gateway, "the gateway's own shutdown_delay replaces preStop"
    rolling = deployment["spec"]["strategy"]["rollingUpdate"]
    assert rolling["maxUnavailable"] == 0

    # The image's user (Dockerfile: USER 10001:10001), never root.
    security = pod["spec"]["securityContext"]
    assert (security["runAsNonRoot"], security["runAsUser"]) == (True, 10001)
    assert gateway["securityContext"]["readOnlyRootFilesystem"] is True
    assert set(gateway["resources"]["requests"]) == {"cpu", "memory"}

    # One set of labels ties the Service, the HPA and the PDB to these pods.
    labels = pod["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"] == labels
    assert objects["Service"]["spec"]["selector"] == labels
    assert objects["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == labels
    target = objects["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    # The autoscaler owns the count; a fixed one would be reset at every apply.
    assert "replicas" not in deployment["spec"]
    assert objects["HorizontalPodAutoscaler"]["spec"]["minReplicas"] >= 2
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert volumes["config"]["configMap"]["name"] == objects["ConfigMap"]["metadata"]["name"]


def test_the_manifests_give_the_gateway_what_it_expects() -> None:
    check_gateway_objects(plain())


def test_the_chart_passes_helm_lint() -> None:
    lint = [str(helm_binary()), "lint", "--strict", str(CHART)]
    done = subprocess.run(lint, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_chart_renders_valid_objects_the_gateway_can_run_with() -> None:
    rendered = render()
    check_gateway_objects(rendered)
    for version in API_VERSIONS:
        for document in rendered.values():
            kubernetes_validate.validate(document, version, strict=True)


def test_the_manifests_are_the_chart_rendered_with_its_defaults() -> None:
    expected = manifests.plain_manifests(manifests.render())
    found = {path.name: path.read_text(encoding="utf-8") for path in MANIFESTS.glob("*.yaml")}
    assert found == expected, "deploy/kubernetes/ is out of date: run ./dev manifests"


def test_values_set_replicas_config_and_secrets(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text(
        (CHART / "files" / "gateway.toml")
        .read_text(encoding="utf-8")
        .replace("l1_max_entries = 10000", "l1_max_entries = 500"),
        encoding="utf-8",
    )
    default = render()
    custom = render(
        "--set",
        "autoscaling.enabled=false",
        "--set",
        "replicaCount=5",
        "--set-file",
        f"config={config}",
        "--set",
        "secret.name=vault-synced",
        "--set",
        "redis.secretName=redis-credentials",
    )
    assert "HorizontalPodAutoscaler" not in custom
    assert custom["Deployment"]["spec"]["replicas"] == 5
    settings, _ = pod_settings(custom)
    assert settings.cache.l1_max_entries == 500
    # A new config rolls the pods.
    annotation = "checksum/config"
    pod_annotations = [
        o["Deployment"]["spec"]["template"]["metadata"]["annotations"] for o in (default, custom)
    ]
    assert pod_annotations[0][annotation] != pod_annotations[1][annotation]
    secrets = {
        v["name"]: v["valueFrom"]["secretKeyRef"]["name"]
        for v in container(custom)["env"]
        if "valueFrom" in v
    }
    assert secrets == {
        "CG_CACHE__REDIS_URL": "redis-credentials",
        "CG_LIMITS__RATE__STORAGE_URL": "redis-credentials",
        "CRM_TOKEN": "vault-synced",
        "CRM_WEBHOOK_SECRET": "vault-synced",
        "LOYALTY_API_KEY": "vault-synced",
    }


def test_the_chart_is_the_gateways_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text(encoding="utf-8"))
    project = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert f'version = "{chart["appVersion"]}"' in project


def test_a_misspelt_variable_in_the_values_is_caught() -> None:
    # The check above is only as good as this: a CG_* name that is no settings key fails.
    with pytest.raises(ConfigError, match="CG_CACHE__REDIS_URLL"):
        pod_settings(render("--set", "env.CG_CACHE__REDIS_URLL=redis://elsewhere:6379/0"))
