"""The deployment files for ops (deploy/, docs/deploy.md) stay correct and in sync.

Docker cannot run here, so what can be checked without it is: every YAML parses; the
endpoints' ${VAR} are defined in production.env.example, really replaced by Rasa, and given
to the Rasa servers by compose and by the Helm values; the Dockerfiles copy paths that exist,
every first-party module their entry points import, and install every library those import;
base images match requirements.txt; ports match the contract; no secret is committed;
`docker-compose config` accepts the compose file; nginx accepts the compose nginx.conf.
"""

from __future__ import annotations

import ast
import glob
import importlib.metadata as metadata
import os
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Set, Tuple

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ENDPOINTS = DEPLOY / "endpoints.production.yml"
ENV_EXAMPLE = DEPLOY / "production.env.example"
COMPOSE = DEPLOY / "docker-compose.yml"
COMPOSE_NGINX = DEPLOY / "compose" / "nginx.conf"
RASA_VALUES = DEPLOY / "helm" / "rasa-values.yml"
ACTION_VALUES = DEPLOY / "helm" / "action-server-values.yml"
DOCS = ROOT / "docs" / "deploy.md"
DOCKERFILES = {name: DEPLOY / f"Dockerfile.{name}" for name in ("rasa", "actions", "web")}
CONTRACT = ROOT.parent / "shared" / "CONTRACT.md"

# The contract's ports (../shared/CONTRACT.md, "Ports of the default set-up").
PORTS = {"rasa": 5005, "actions": 5055, "web": 8080}
VAR = re.compile(r"\$\{([A-Z][A-Z0-9_]*)")
SECRET_NAME = re.compile(r"(TOKEN|PASSWORD|SECRET|_KEY)$")


def require_tool(name: str, reason: str) -> None:
    """Skips when a tool is absent; under CI=true (like tests/conftest.py), fails instead."""
    message = f"{name} is not installed ({reason})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI requires it", pytrace=False)
    pytest.skip(message)


def load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def env_example() -> Dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


def strings(value) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield value


def endpoint_variables() -> Set[str]:
    """The ${VAR} of the endpoints' values (not of its comments)."""
    return {name for text in strings(load(ENDPOINTS)) for name in VAR.findall(text)}


def requirement_pins() -> Dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^\s#]+)", line.strip())
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


# ---------------------------------------------------------------- YAML and variables

def yaml_files() -> List[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yml", ".yaml"))


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_parses(path: Path) -> None:
    assert isinstance(load(path), dict), f"{path} is not a YAML mapping"


def test_endpoint_variables_are_defined_in_the_env_example() -> None:
    missing = endpoint_variables() - set(env_example())
    assert not missing, f"deploy/production.env.example lacks {sorted(missing)}"


def test_rasa_replaces_every_endpoint_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rasa 3.6 replaces ${VAR} only in plain scalars: a quoted "${VAR}" stays as it is."""
    from rasa.shared.utils.io import read_yaml_file

    for name, value in env_example().items():
        monkeypatch.setenv(name, value or "x")
    endpoints = read_yaml_file(str(ENDPOINTS))
    left = sorted({v for v in VAR.findall(yaml.safe_dump(endpoints))})
    assert not left, (f"Rasa leaves {left} unreplaced in {ENDPOINTS.relative_to(ROOT)}: "
                      "write ${VAR} without quotes")


def compose() -> dict:
    return load(COMPOSE)


def test_compose_gives_every_endpoint_variable_to_each_rasa_server() -> None:
    services = compose()["services"]
    rasa = [name for name in services if name.startswith("rasa-")]
    assert len(rasa) >= 2, "two Rasa servers at least"
    for name in rasa:
        environment = services[name]["environment"]
        missing = endpoint_variables() - set(environment)
        assert not missing, f"compose service {name} lacks {sorted(missing)}"
        assert "RASA_AUTH_TOKEN" in environment


def test_compose_variables_without_default_are_in_the_env_example() -> None:
    """A ${VAR} the example lacks would reach the containers blank, silently."""
    text = COMPOSE.read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", text))
    missing = required - set(env_example())
    assert not missing, f"compose needs {sorted(missing)}: add them to production.env.example"


def test_compose_services_have_healthchecks_and_ordered_starts() -> None:
    services = compose()["services"]
    expected = {"postgres", "redis", "rabbitmq", "db-init", "actions-1", "actions-2", "rasa-1",
                "rasa-2", "nginx", "web"}
    assert expected <= set(services)
    for name, service in services.items():
        if name not in ("db-init", "jobs"):  # one-shot
            assert "healthcheck" in service, f"{name} has no healthcheck"
            assert service.get("restart") == "unless-stopped", name
    for name in ("rasa-1", "rasa-2"):
        conditions = {part: rule["condition"] for part, rule in services[name]["depends_on"].items()}
        assert conditions == {"postgres": "service_healthy", "redis": "service_healthy",
                              "rabbitmq": "service_healthy"}
    for name in ("actions-1", "actions-2", "web"):
        assert services[name]["depends_on"]["db-init"]["condition"] == "service_completed_successfully"


def helm_env(values: dict) -> Dict[str, dict]:
    return {entry["name"]: entry for entry in values.get("extraEnv") or []}


def test_helm_rasa_values_give_every_endpoint_variable() -> None:
    env = helm_env(load(RASA_VALUES))
    missing = (endpoint_variables() | {"RASA_AUTH_TOKEN"}) - set(env)
    assert not missing, f"rasa-values.yml extraEnv lacks {sorted(missing)}"


def test_helm_rasa_values_render_the_projects_endpoints_and_credentials() -> None:
    """The chart writes /app/endpoints.yml and /app/credentials.yml from these values."""
    settings = load(RASA_VALUES)["applicationSettings"]
    assert settings["endpoints"]["additionalEndpoints"] == load(ENDPOINTS)
    for block in ("models", "trackerStore", "lockStore", "eventBroker"):
        assert settings["endpoints"][block]["enabled"] is False, f"the chart's own {block} is on"
    credentials = {name: value or {} for name, value in load(ROOT / "credentials.yml").items()}
    assert settings["credentials"]["additionalChannelCredentials"] == credentials
    # The model is baked in the image: no init container replacing /app/models.
    assert settings["initialModel"] == "" and settings["trainInitialModel"] is False


def test_helm_values_run_two_replicas_on_external_parts() -> None:
    rasa, actions = load(RASA_VALUES), load(ACTION_VALUES)
    assert rasa["replicaCount"] >= 2 and actions["replicaCount"] >= 2
    for part in ("postgresql", "redis", "rabbitmq"):
        assert rasa[part]["install"] is False, f"the chart's bundled {part} is on"
    # An action_endpoint from the chart would clash with the one of additionalEndpoints.
    assert rasa["rasa-action-server"]["install"] is False
    assert rasa["rasa-action-server"]["external"]["enabled"] is False
    # The token comes from the container's environment, through the launcher, not the args.
    assert rasa["command"] == ["python", "-m", "production.rasa_server"]
    assert not any("auth-token" in arg for arg in rasa["args"])
    assert "RASA_AUTH_TOKEN" in {variable["name"] for variable in rasa["extraEnv"]}
    assert "--jwt-secret" not in rasa["args"]
    assert rasa["args"][rasa["args"].index("--endpoints") + 1] == "endpoints.yml"
    assert rasa["args"][rasa["args"].index("--credentials") + 1] == "credentials.yml"


# Keys of RasaHQ's charts (values.yaml of rasa 1.17.x and rasa-action-server 1.0.x); below a
# free-form key anything goes.
CHART_COMMON = {
    "registry", "image.name", "image.tag", "image.pullPolicy", "image.pullSecrets", "replicaCount",
    "args", "command", "extraEnv", "serviceAccount", "podAnnotations", "podLabels",
    "deploymentAnnotations", "deploymentLabels", "podSecurityContext", "securityContext",
    "service.type", "service.port", "service.annotations", "service.nodePort",
    "service.loadBalancerIP", "service.externalTrafficPolicy", "ingress.enabled",
    "ingress.annotations", "ingress.labels", "ingress.pathType", "ingress.path", "ingress.hostname",
    "ingress.tls", "ingress.extraPaths", "resources", "autoscaling.enabled", "autoscaling.minReplicas",
    "autoscaling.maxReplicas", "autoscaling.targetCPUUtilizationPercentage", "nodeSelector",
    "tolerations", "affinity", "strategy", "livenessProbe", "readinessProbe", "initContainers",
    "volumes", "volumeMounts", "applicationSettings.port", "applicationSettings.scheme",
}
CHART_KEYS = {
    "rasa": CHART_COMMON | {
        "applicationSettings.debugMode", "applicationSettings.initialModel",
        "applicationSettings.trainInitialModel", "applicationSettings.token", "applicationSettings.cors",
        "applicationSettings.enableAPI", "applicationSettings.credentials.enabled",
        "applicationSettings.credentials.additionalChannelCredentials",
        "applicationSettings.telemetry.enabled", "applicationSettings.endpoints.models",
        "applicationSettings.endpoints.trackerStore", "applicationSettings.endpoints.lockStore",
        "applicationSettings.endpoints.eventBroker", "applicationSettings.endpoints.action.endpointURL",
        "applicationSettings.endpoints.additionalEndpoints", "applicationSettings.rasaX",
        "extraArgs", "extraContainers", "networkPolicy.enabled", "networkPolicy.denyAll", "global",
        "postgresql.install", "postgresql.external", "redis.install", "redis.external", "redis.auth",
        "redis.replica", "rabbitmq.install", "rabbitmq.external", "rabbitmq.auth",
        "nginx.enabled", "nginx.image", "nginx.port", "nginx.tls", "nginx.resources",
        "nginx.securityContext", "nginx.customConfiguration", "nginx.livenessProbe",
        "nginx.readinessProbe", "rasa-action-server.install", "rasa-action-server.external.enabled",
        "rasa-action-server.external.url", "duckling.install", "duckling.external",
    },
    "rasa-action-server": CHART_COMMON,
}


def key_paths(values: dict, allowed: Set[str], prefix: str = "") -> Iterator[str]:
    for key, value in values.items():
        path = f"{prefix}{key}"
        if path in allowed:
            continue
        if isinstance(value, dict) and any(a.startswith(path + ".") for a in allowed):
            yield from key_paths(value, allowed, path + ".")
        else:
            yield path


@pytest.mark.parametrize("chart,path", [("rasa", RASA_VALUES), ("rasa-action-server", ACTION_VALUES)])
def test_helm_values_use_the_charts_keys(chart: str, path: Path) -> None:
    unknown = sorted(key_paths(load(path), CHART_KEYS[chart]))
    assert not unknown, f"{path.name}: not keys of the chart {chart}: {unknown}"


@pytest.mark.parametrize("path", [RASA_VALUES, ACTION_VALUES], ids=lambda p: p.name)
def test_helm_values_take_every_variable_from_the_secret(path: Path) -> None:
    for name, entry in helm_env(load(path)).items():
        assert "value" not in entry, f"{name} is written in {path.name}: use the Secret"
        ref = entry["valueFrom"]["secretKeyRef"]
        assert ref["name"] == "colibri-secrets" and ref["key"] == name, name


def test_action_server_values_give_what_the_actions_read() -> None:
    env = set(helm_env(load(ACTION_VALUES)))
    compose_env = set(compose()["services"]["actions-1"]["environment"])
    assert {"ACTION_SERVER_TOKEN", "COLIBRI_ENV", "DATABASE_URL"} <= env
    assert compose_env <= env, f"compose gives the action servers {sorted(compose_env - env)} too"


# ---------------------------------------------------------------- Dockerfiles

def instructions(path: Path) -> List[Tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def stages(path: Path) -> List[List[Tuple[str, str]]]:
    found: List[List[Tuple[str, str]]] = []
    for keyword, rest in instructions(path):
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, rest))
    return found


def copy_sources(stage: List[Tuple[str, str]]) -> Iterator[str]:
    """Sources of the stage's COPY instructions from the build context."""
    for keyword, rest in stage:
        if keyword != "COPY":
            continue
        words = rest.split()
        if any(w.startswith("--from=") for w in words):
            continue
        for source in [w for w in words if not w.startswith("--")][:-1]:
            yield re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", source)


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_dockerfile_copies_paths_that_exist(name: str) -> None:
    for stage in stages(DOCKERFILES[name]):
        for source in copy_sources(stage):
            assert glob.glob(str(ROOT / source)), f"Dockerfile.{name} copies {source}, absent"


def from_images(path: Path) -> List[str]:
    return [rest.split()[0] for keyword, rest in instructions(path) if keyword == "FROM"]


def test_base_images_match_requirements() -> None:
    pins = requirement_pins()
    assert set(from_images(DOCKERFILES["rasa"])) == {f"rasa/rasa:{pins['rasa']}"}
    assert from_images(DOCKERFILES["actions"]) == [f"rasa/rasa-sdk:{pins['rasa-sdk']}"]
    assert from_images(DOCKERFILES["web"])[-1] == f"rasa/rasa:{pins['rasa']}"
    constraints = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    assert f"\nrasa=={pins['rasa']}\n" in constraints and f"\nrasa-sdk=={pins['rasa-sdk']}\n" in constraints


# Components that need the "-full" image (spaCy, MITIE, transformers, jieba...).
FULL_ONLY = {"SpacyNLP", "SpacyTokenizer", "SpacyFeaturizer", "SpacyEntityExtractor", "MitieNLP",
             "MitieTokenizer", "MitieFeaturizer", "MitieEntityExtractor", "MitieIntentClassifier",
             "LanguageModelFeaturizer", "JiebaTokenizer", "ConveRTFeaturizer"}


def test_the_plain_rasa_image_has_every_pipeline_component() -> None:
    config = load(ROOT / "config.yml")
    names = {step["name"] for step in config["pipeline"] + config["policies"]}
    assert not names & FULL_ONLY, f"{sorted(names & FULL_ONLY)} need rasa/rasa:...-full"


# Where each image's code starts: what its process imports.
ENTRY_POINTS = {
    "rasa": ["channels/*.py", "nlu_components/*.py", "privacy/log_masking.py"],
    "actions": ["actions/**/*.py", "rasa_sdk_plugins/**/*.py", "privacy/log_masking.py"],
    "web": ["web/server.py", "kpi/__main__.py", "privacy/**/*.py"],
}


def first_party() -> Set[str]:
    return {p.parent.name for p in ROOT.glob("*/__init__.py")}


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def imported_names(path: Path) -> Set[str]:
    """Modules a file imports (``from a import b`` gives a and a.b), outside TYPE_CHECKING."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names: Set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking(node):
            return
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {name for name in names if name and name != "__future__"}


def module_file(name: str) -> Optional[Path]:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def import_closure(image: str) -> Tuple[frozenset, frozenset]:
    """(first-party files, third-party top-level modules) reached from the image's entry points."""
    ours = first_party()
    todo = [Path(p) for pattern in ENTRY_POINTS[image]
            for p in glob.glob(str(ROOT / pattern), recursive=True)]
    seen: Set[Path] = set()
    third: Set[str] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for parent in path.relative_to(ROOT).parents:  # a package's __init__ runs first
            init = ROOT / parent / "__init__.py"
            if str(parent) != "." and init.is_file() and init not in seen:
                todo.append(init)
        for name in imported_names(path):
            top = name.split(".")[0]
            if top in ours:
                found = module_file(name)
                if found:
                    todo.append(found)
            elif top not in sys.stdlib_module_names:
                third.add(top)
    return frozenset(seen), frozenset(third)


def copied_packages(name: str) -> Set[str]:
    final = stages(DOCKERFILES[name])[-1]
    return {Path(source).parts[0] for source in copy_sources(final)}


@pytest.mark.parametrize("image", sorted(ENTRY_POINTS))
def test_images_copy_every_first_party_module_they_import(image: str) -> None:
    files, _ = import_closure(image)
    needed = {path.relative_to(ROOT).parts[0] for path in files}
    missing = needed - copied_packages(image)
    assert not missing, f"Dockerfile.{image} does not copy {sorted(missing)}, imported by its code"


def dependency_closure(roots: Iterable[str]) -> Set[str]:
    """Distributions installed for ``roots`` (names or requirement strings), without extras."""
    found: Set[str] = set()
    todo = [Requirement(root).name for root in roots]
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        found.add(name)
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return found


def pip_installs(image: str) -> Set[str]:
    """What the Dockerfile's `pip install` adds to its base: the requirement files it names
    (requirements.txt minus the lines its grep -vE drops), and the names it lists."""
    roots: Set[str] = set()
    for keyword, rest in instructions(DOCKERFILES[image]):
        if keyword != "RUN" or "pip install" not in rest:
            continue
        if "requirements" in rest:
            excluded = set(re.findall(r"grep -vE '\^([a-z-]+)=='", rest))
            for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
                line = line.split("#")[0].strip()
                if line and Requirement(line).name not in excluded:
                    roots.add(line)
        for command in re.findall(r"pip install ([^&;]*)", rest):
            roots.update(w for w in command.split() if re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*", w))
    return roots


IMAGE_BASES = {"rasa": ["rasa"], "actions": ["rasa-sdk"], "web": ["rasa"]}


@cache
def module_owners() -> Dict[str, Set[str]]:
    """Top-level module -> distributions providing it (top_level.txt, else the files)."""
    owners: Dict[str, Set[str]] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"].lower().replace("_", "-")
        tops = set((dist.read_text("top_level.txt") or "").split())
        if not tops:
            for file in dist.files or []:
                first = file.parts[0]
                if first.endswith((".dist-info", ".egg-info", ".data")) or first in ("..", "__pycache__"):
                    continue
                tops.add(first[:-3] if first.endswith(".py") else first.split(".")[0])
        for top in tops:
            owners.setdefault(top, set()).add(name)
    return owners


@pytest.mark.parametrize("image", sorted(ENTRY_POINTS))
def test_images_install_every_library_their_code_imports(image: str) -> None:
    _, third = import_closure(image)
    installed = dependency_closure(IMAGE_BASES[image] + sorted(pip_installs(image)))
    missing = set()
    for module in third:
        dists = module_owners().get(module, set())
        if not dists & installed:
            missing.add(f"{module} ({', '.join(sorted(dists)) or 'unknown'})")
    assert not missing, f"the {image} image lacks {sorted(missing)}"
    # SQLAlchemy loads the PostgreSQL driver by name: no import shows it.
    assert "psycopg2-binary" in installed, f"the {image} image has no PostgreSQL driver"


def json_instruction(image: str, keyword: str) -> List[str]:
    import json

    values = [rest for kw, rest in instructions(DOCKERFILES[image]) if kw == keyword]
    return json.loads(values[-1])


def rasa_parser():
    from rasa.__main__ import create_argument_parser

    return create_argument_parser()


def test_the_action_server_accepts_its_command_line() -> None:
    """rasa-sdk 3.6.2 spells it --logging-config_file (`rasa run actions` has a dash)."""
    from rasa_sdk.endpoint import create_argument_parser

    command = json_instruction("actions", "CMD")
    assert command[0] == "start"  # the base image's entrypoint.sh: python -m rasa_sdk ARGS
    args = create_argument_parser().parse_args(command[1:])
    assert args.actions == "actions" and args.port == PORTS["actions"]
    assert (ROOT / args.logging_config_file).is_file()


def test_the_rasa_server_accepts_its_command_lines(tmp_path: Path) -> None:
    """The image's entrypoint (run by bash, as Docker does) and the Helm values' args, each
    given RASA_AUTH_TOKEN by the launcher (production.rasa_server), none showing it."""
    from production.rasa_server import with_token

    entrypoint = json_instruction("rasa", "ENTRYPOINT")
    launcher = "exec python -m production.rasa_server "
    assert entrypoint[:2] == ["/bin/bash", "-c"] and launcher in entrypoint[2]
    script = entrypoint[2].replace(launcher, "exec printf '%s\\0' ")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "RASA_AUTH_TOKEN": "t",
           "SHOP_URL": "https://boutique.example"}
    result = subprocess.run([*entrypoint[:2], script, *entrypoint[3:]], env=env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    docker_args = result.stdout.split("\0")[:-1]
    values = load(RASA_VALUES)
    assert values["command"] == ["python", "-m", "production.rasa_server"]
    helm_args = [re.sub(r"\$\((\w+)\)", "x", arg) for arg in values["args"]]
    for shown in (docker_args, helm_args):
        assert not any("auth-token" in arg or arg == "t" for arg in shown), shown
        args = rasa_parser().parse_args(with_token(shown, {"RASA_AUTH_TOKEN": "t"}))
        assert args.enable_api and args.auth_token == "t" and args.port == PORTS["rasa"], shown
        assert args.model == "models" and args.cors
        assert (ROOT / args.logging_config_file).is_file()
    assert rasa_parser().parse_args(docker_args).endpoints == env_example()["RASA_ENDPOINTS"]
    assert (ROOT / env_example()["RASA_ENDPOINTS"]).resolve() == ENDPOINTS.resolve()
    # Without the variable the launcher refuses to start an open HTTP API.
    unset = subprocess.run([sys.executable, "-m", "production.rasa_server", *docker_args], cwd=ROOT,
                           env={"PATH": env["PATH"]}, capture_output=True, text=True, timeout=30)
    assert unset.returncode != 0 and "RASA_AUTH_TOKEN" in unset.stderr


# ---------------------------------------------------------------- ports

def test_ports_match_the_contract() -> None:
    if CONTRACT.is_file():  # the team's contract, beside the repository
        table = CONTRACT.read_text(encoding="utf-8")
        assert re.search(r"Rasa server.*\|\s*5005\s*\|", table)
        assert re.search(r"action server\s*\|\s*5055\s*\|", table)
        assert re.search(r"web pages.*\|\s*8080\s*\|", table)
    rasa, actions, web = (DOCKERFILES[n].read_text(encoding="utf-8") for n in ("rasa", "actions", "web"))
    assert f"EXPOSE {PORTS['rasa']}" in rasa and f"--port {PORTS['rasa']}" in rasa
    assert f"EXPOSE {PORTS['actions']}" in actions and f'"--port", "{PORTS["actions"]}"' in actions
    assert f"EXPOSE {PORTS['web']}" in web and f'"--port", "{PORTS["web"]}"' in web
    services = compose()["services"]
    assert services["nginx"]["ports"] == [f"{PORTS['rasa']}:{PORTS['rasa']}"]
    assert services["web"]["ports"] == [f"{PORTS['web']}:{PORTS['web']}"]
    for name, port in (("rasa-1", "rasa"), ("actions-1", "actions"), ("web", "web")):
        assert f"127.0.0.1:{PORTS[port]}/" in " ".join(services[name]["healthcheck"]["test"])
    nginx = COMPOSE_NGINX.read_text(encoding="utf-8")
    assert set(re.findall(r"server (rasa-\d|actions-\d):(\d+)", nginx)) == {
        ("rasa-1", "5005"), ("rasa-2", "5005"), ("actions-1", "5055"), ("actions-2", "5055")}
    rasa_values, action_values = load(RASA_VALUES), load(ACTION_VALUES)
    assert rasa_values["applicationSettings"]["port"] == PORTS["rasa"]
    assert rasa_values["args"][rasa_values["args"].index("--port") + 1] == str(PORTS["rasa"])
    assert action_values["applicationSettings"]["port"] == PORTS["actions"]


def test_the_action_fallback_answers_with_a_response_of_the_domain() -> None:
    nginx = COMPOSE_NGINX.read_text(encoding="utf-8")
    responses = set(re.findall(r'"response": "(utter_\w+)"', nginx))
    assert responses == {"utter_actions_unavailable"}
    assert "utter_actions_unavailable" in load(ROOT / "domain.yml")["responses"]
    # compose's Rasa servers reach the action servers through this nginx
    url = compose()["services"]["rasa-1"]["environment"]["ACTION_SERVER_URL"]
    assert url == "http://nginx:8055/webhook" and "listen 8055;" in nginx


# ---------------------------------------------------------------- secrets

def test_the_env_example_has_placeholders_only() -> None:
    for name, value in env_example().items():
        if SECRET_NAME.search(name):
            assert value == "" or "change-me" in value or value == "guest", (
                f"{name} in production.env.example looks like a real secret: use change-me")


def test_compose_writes_no_secret() -> None:
    for service, spec in compose()["services"].items():
        for name, value in (spec.get("environment") or {}).items():
            value = str(value)
            if SECRET_NAME.search(name):
                assert value.startswith("${"), f"{service}: {name} must come from the env file"
            password = re.search(r"://[^:/@]*:([^@]*)@", value)
            if password:
                assert password.group(1) in ("", ) or password.group(1).startswith("${"), (
                    f"{service}: {name} has a password written in")


# Written by ops beside the committed files, never committed.
LOCAL_FILES = {"production.env", "advisors.yml"}


def committed_deploy_files() -> List[Path]:
    """deploy/ and docs/deploy.md as git sees them (tracked or to be added, not ignored)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "--",
                             "deploy", "docs/deploy.md"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode == 0 and listed.stdout.strip():
        files = [ROOT / line for line in listed.stdout.splitlines()]
    else:
        files = [p for p in [*DEPLOY.rglob("*"), DOCS] if p.is_file()]
    return sorted(p for p in files if p.is_file() and p.name not in LOCAL_FILES)


@pytest.mark.parametrize("path", committed_deploy_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_secret_in_the_deploy_files(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "PRIVATE KEY" not in text
    for word in re.findall(r"(?<![A-Za-z0-9_/.-])[A-Za-z0-9_+-]{24,}(?![A-Za-z0-9_/.-])", text):
        random_like = re.search(r"\d", word) and re.search(r"[a-z]", word) and re.search(r"[A-Z]", word)
        assert not random_like, f"{path.name}: {word[:6]}… looks like a key or token"


# ---------------------------------------------------------------- tools

def compose_command() -> Optional[List[str]]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def test_docker_compose_accepts_the_file() -> None:
    command = compose_command()
    if command is None:
        require_tool("docker-compose", "Debian's docker-compose: make docker-compose")
    result = subprocess.run(
        [*command, "-f", str(COMPOSE), "--env-file", str(ENV_EXAMPLE), "config"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "COMPOSE_PROJECT_NAME": "colibri-test"})
    assert result.returncode == 0, result.stderr
    assert "not set" not in result.stderr, result.stderr
    rendered = yaml.safe_load(result.stdout)
    example = env_example()
    for name in ("rasa-1", "rasa-2"):
        environment = rendered["services"][name]["environment"]
        assert environment["TRACKER_DB_HOST"] == "postgres"
        assert environment["RABBITMQ_QUEUE"] == example["RABBITMQ_QUEUE"]
        assert environment["RASA_AUTH_TOKEN"] == example["RASA_AUTH_TOKEN"]


def nginx_version(binary: str) -> Tuple[int, ...]:
    output = subprocess.run([binary, "-v"], capture_output=True, text=True).stderr
    match = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", output)
    return tuple(int(part) for part in match.groups()) if match else (0,)


def test_nginx_accepts_the_compose_configuration(tmp_path: Path) -> None:
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if binary is None:
        require_tool("nginx", "Debian's nginx, as for make run-prod")
    text = COMPOSE_NGINX.read_text(encoding="utf-8")
    if nginx_version(binary) < (1, 27, 3):  # `resolve` in upstreams came with 1.27.3
        text = re.sub(r" resolve ", " ", text)
        text = re.sub(r"\n\s*zone [^;]+;", "", text)
    text = re.sub(r"server (rasa|actions)-\d:", "server 127.0.0.1:", text)
    text = text.replace("pid /tmp/nginx.pid;", f"pid {tmp_path}/nginx.pid;")
    config = tmp_path / "nginx.conf"
    config.write_text(text, encoding="utf-8")
    result = subprocess.run([binary, "-t", "-q", "-c", str(config), "-e", "stderr"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------- documentation

def test_the_docs_explain_every_variable() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    names = set(env_example()) | set(VAR.findall(COMPOSE.read_text(encoding="utf-8")))
    names |= set(helm_env(load(RASA_VALUES))) | set(helm_env(load(ACTION_VALUES)))
    missing = sorted(name for name in names if f"`{name}`" not in docs)
    assert not missing, f"docs/deploy.md does not explain {missing}"
    assert "\n## On one machine: make run-prod\n" in docs


def _ignore_lines(path: Path) -> List[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def test_the_root_dockerignore_is_the_union_of_the_images_lists() -> None:
    """docker-compose 1.x and the classic builder read only the root .dockerignore."""
    root = _ignore_lines(ROOT / ".dockerignore")
    images = [_ignore_lines(p) for p in sorted((ROOT / "deploy").glob("Dockerfile.*.dockerignore"))]
    assert len(images) == 3
    assert root[0] == "*", "everything is left out unless named"
    assert set(root) == set().union(*map(set, images))
    sent = {line.lstrip("!").rstrip("/") for line in root if line.startswith("!")}
    for secret_or_bulk in (".venv", "node_modules", "var", "results", "deploy/production.env", ".git"):
        assert secret_or_bulk not in sent
