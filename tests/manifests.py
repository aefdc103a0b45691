"""deploy/kubernetes/ is the Helm chart rendered with its default values, less what only Helm
adds (its labels, the config checksum that rolls pods on upgrades).

``./dev manifests`` writes it; tests/test_deploy_kubernetes.py checks that it is current.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.tools import helm_binary

REPO = Path(__file__).resolve().parent.parent
CHART = REPO / "deploy" / "helm" / "customer-graph"
MANIFESTS = REPO / "deploy" / "kubernetes"
FILES = {
    "ConfigMap": "configmap.yaml",
    "Deployment": "deployment.yaml",
    "HorizontalPodAutoscaler": "hpa.yaml",
    "PodDisruptionBudget": "pdb.yaml",
    "Service": "service.yaml",
}
HEADER = (
    "# Rendered from deploy/helm/customer-graph with its default values by ./dev manifests;\n"
    "# edit the chart, not this file. Apply with: kubectl apply -f deploy/kubernetes/\n"
)
_HELM_ONLY = re.compile(r"^\s+(helm\.sh/chart|app\.kubernetes\.io/managed-by|checksum/config):")


def render(*options: str) -> str:
    """``helm template`` of the chart as release ``customer-graph``."""
    command = [str(helm_binary()), "template", "customer-graph", str(CHART), *options]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def plain_manifests(rendered: str) -> dict[str, str]:
    """File name -> text of each object of ``rendered``, as deploy/kubernetes/ holds it."""
    files = {}
    for document in rendered.split("---\n"):
        lines = [
            line.rstrip() + "\n"
            for line in document.splitlines()
            if not line.startswith("# Source:") and not _HELM_ONLY.match(line)
        ]
        if not any(line.strip() for line in lines):
            continue
        kind = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("kind:"))
        files[FILES[kind]] = HEADER + "".join(lines)
    return files


def main() -> int:
    for name, text in plain_manifests(render()).items():
        (MANIFESTS / name).write_text(text, encoding="utf-8")
        print(f"wrote {MANIFESTS / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
