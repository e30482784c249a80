"""deploy/kubernetes and deploy/compose.yaml, parsed: they name real settings, real paths, and
give a shutdown time that covers a request.

The schema validation itself (``kubernetes-validate --strict``, ``docker-compose config -q``)
runs in ``.ci/run``; these checks are what a schema cannot know.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml
from starlette.routing import Route

from proxy.engine.app import create_app
from proxy.settings import ENV_PREFIX, Settings, load

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
K8S = DEPLOY / "kubernetes"
SETTINGS = {f.name for f in fields(Settings)}
SECRET_ENV = {"state-url": "redis://redis:6379/0", "hash-secret": "h" * 40, "admin-token": "a" * 30}


def _docs(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _kind(kind: str, name: str | None = None) -> dict[str, Any]:
    """The one manifest of ``kind`` (named ``name``, when several share the kind)."""
    docs = [d for p in sorted(K8S.glob("*.yaml")) for d in _docs(p) if d.get("kind") == kind]
    [doc] = [d for d in docs if name is None or d["metadata"]["name"] == name]
    return doc


def _container(kind: str = "Deployment") -> dict[str, Any]:
    """The proxy's container (``Deployment``) or the recorder's (``StatefulSet``)."""
    [container] = _kind(kind)["spec"]["template"]["spec"]["containers"]
    return dict(container)


def _config_toml() -> dict[str, Any]:
    [text] = _kind("ConfigMap")["data"].values()
    return tomllib.loads(text)


def _is_setting(variable: str) -> bool:
    assert variable.startswith(ENV_PREFIX), variable
    name = variable[len(ENV_PREFIX) :]
    return name.lower() in SETTINGS or name == "CONFIG"


def _image_env() -> dict[str, str]:
    """The ``KLAVIYO_COMPAT_*`` variables the Dockerfile's ``ENV`` sets."""
    text = (DEPLOY / "Dockerfile").read_text()
    block = re.search(r"^ENV (.*?)(?=^\S)", text, re.M | re.S)
    assert block is not None
    return dict(re.findall(r"(KLAVIYO_COMPAT_\w+)=(\S+)", block.group(1)))


def _effective(tmp_path: Path, kind: str = "Deployment") -> Settings:
    """The settings a pod runs with: the ConfigMap's file, then the image's environment and the
    Deployment's (the environment beats the file; the Deployment's beats the image's)."""
    config = tmp_path / "klaviyo-compat.toml"
    [text] = _kind("ConfigMap")["data"].values()
    config.write_text(text)
    environ = _image_env()
    for var in _container(kind)["env"]:
        if var["name"] == "KLAVIYO_COMPAT_CONFIG":
            continue
        ref = var.get("valueFrom", {}).get("secretKeyRef")
        environ[var["name"]] = SECRET_ENV[ref["key"]] if ref else var["value"]
    return load(config=config, environ=environ)


def test_every_environment_variable_is_a_setting() -> None:
    names = [var["name"] for kind in ("Deployment", "StatefulSet") for var in _container(kind)["env"]]
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for service in compose["services"].values():
        names += [n for n in service.get("environment", {}) if n.startswith(ENV_PREFIX)]
    assert names and all(_is_setting(n) for n in names), [n for n in names if not _is_setting(n)]
    assert set(_config_toml()) - {"modes"} <= SETTINGS


def test_the_config_file_is_a_mounted_configmap_directory_and_the_secrets_come_from_a_secret() -> None:
    container = _container()
    env = {var["name"]: var for var in container["env"]}
    mount = next(m for m in container["volumeMounts"] if m["name"] == "config")
    assert "subPath" not in mount, "a subPath mount never sees ConfigMap updates: no live mode reload"
    assert env["KLAVIYO_COMPAT_CONFIG"]["value"].startswith(mount["mountPath"] + "/")
    for secret in ("KLAVIYO_COMPAT_STATE_URL", "KLAVIYO_COMPAT_HASH_SECRET", "KLAVIYO_COMPAT_ADMIN_TOKEN"):
        assert "secretKeyRef" in env[secret]["valueFrom"], secret


def test_the_pod_settings_pass_check(tmp_path: Path) -> None:
    settings = _effective(tmp_path)
    assert settings.state_url and settings.hash_secret, "replicas share state"
    assert settings.shutdown_timeout >= settings.request_deadline, "in-flight calls may finish"


def test_the_grace_period_covers_prestop_and_a_request(tmp_path: Path) -> None:
    settings = _effective(tmp_path)
    spec = _kind("Deployment")["spec"]["template"]["spec"]
    command = _container()["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep"
    pre_stop = float(command[1])
    assert spec["terminationGracePeriodSeconds"] >= pre_stop + settings.request_deadline + 10


def test_probes_point_at_real_paths_on_the_served_port(tmp_path: Path) -> None:
    app = create_app(Settings(upstream="https://a.klaviyo.com", traffic_db="off"))
    paths = {r.path for r in app.routes if isinstance(r, Route) and "{" not in r.path}
    container = _container()
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert container["readinessProbe"]["httpGet"]["path"] == "/_compat/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/_compat/health"
    for probe in ("readinessProbe", "livenessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] in paths, (probe, get["path"], paths)
        assert ports[get["port"]] == _effective(tmp_path).port


def test_replicas_are_non_root_read_only_and_kept_available() -> None:
    deployment = _kind("Deployment")
    spec = deployment["spec"]["template"]["spec"]
    assert deployment["spec"]["replicas"] >= 2
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert _container()["securityContext"]["readOnlyRootFilesystem"] is True
    labels = deployment["spec"]["selector"]["matchLabels"]
    assert _kind("PodDisruptionBudget")["spec"]["selector"]["matchLabels"] == labels
    assert _kind("Service", "klaviyo-compat")["spec"]["selector"] == labels
    hpa = _kind("HorizontalPodAutoscaler")["spec"]
    assert hpa["minReplicas"] >= 2 and hpa["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert listed == on_disk


def test_compose_runs_redis_that_keeps_entries_and_replicas_that_share_it() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    redis = " ".join(services["redis"]["command"])
    assert "--appendonly yes" in redis and "--appendfsync always" in redis
    assert "--maxmemory-policy noeviction" in redis
    proxies = [s for s in services.values() if s.get("command", [""])[0] == "serve"]
    assert len(proxies) >= 2
    envs = [p["environment"] for p in proxies]
    assert all(e["KLAVIYO_COMPAT_STATE_URL"] == envs[0]["KLAVIYO_COMPAT_STATE_URL"] for e in envs)
    assert all(e["KLAVIYO_COMPAT_HASH_SECRET"] == envs[0]["KLAVIYO_COMPAT_HASH_SECRET"] for e in envs)
    nginx = (DEPLOY / "nginx.conf").read_text()
    names = [n for n, s in services.items() if s in proxies]
    assert all(f"server {n}:8080;" in nginx for n in names)


def test_the_recorder_is_one_non_root_read_only_pod_with_a_volume_for_its_record(tmp_path: Path) -> None:
    from proxy.cli.recorder import Recorder, settings_refusal

    recorder = _kind("StatefulSet")
    spec = recorder["spec"]
    pod = spec["template"]["spec"]
    container = _container("StatefulSet")
    assert spec["replicas"] == 1, "one recorder per stream"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    settings = _effective(tmp_path, "StatefulSet")
    assert container["args"] == ["recorder"] and settings_refusal(settings) is None
    # traffic_db lies on the volume claim, not on an emptyDir or the read-only root.
    [claim] = spec["volumeClaimTemplates"]
    mount = next(m for m in container["volumeMounts"] if m["name"] == claim["metadata"]["name"])
    assert Path(settings.traffic_db).parent == Path(mount["mountPath"])
    # Probes on paths the recorder's app serves, on its port.
    app = Recorder(settings).app()
    paths = {r.path for r in app.routes if isinstance(r, Route)}  # type: ignore[attr-defined]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert container["readinessProbe"]["httpGet"]["path"] == "/_compat/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/_compat/health"
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] in paths
        assert ports[container[probe]["httpGet"]["port"]] == settings.port
    labels = spec["selector"]["matchLabels"]
    assert labels["app.kubernetes.io/component"] == "recorder"
    assert _kind("Service", spec["serviceName"])["spec"]["selector"] == labels
    assert labels != _kind("Deployment")["spec"]["selector"]["matchLabels"], "not behind the proxy's Service"


def test_compose_runs_one_recorder_on_a_volume_sharing_the_replicas_redis() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    [recorder] = [s for s in services.values() if s.get("command") == ["recorder"]]
    proxy = next(s for s in services.values() if s.get("command", [""])[0] == "serve")
    for name in ("KLAVIYO_COMPAT_STATE_URL", "KLAVIYO_COMPAT_HASH_SECRET"):
        assert recorder["environment"][name] == proxy["environment"][name]
    assert recorder["environment"]["KLAVIYO_COMPAT_ADMIN_TOKEN"], "it listens on 0.0.0.0 in the image"
    [volume] = recorder["volumes"]
    assert volume.split(":")[0] in compose["volumes"] and volume.endswith(":/var/lib/klaviyo-compat")
