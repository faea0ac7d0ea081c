"""deploy/: the files a commune puts on its server cannot run here, so they are checked against the project: every
unit parses and names programs, modules and files that exist, every variable they set is a real setting, the
Caddyfile's body limits are the gateway's, and the compose file's commands are the ones the services accept."""

from __future__ import annotations

import configparser
import fnmatch
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.config import Settings
from bot.stack import StackConfig, build_services
from connectors.limits import BODY_LIMITS, DEFAULT_LIMIT

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
INSTALL = "/opt/trolyso"  # WorkingDirectory of every unit; the checkout on the server
DATA = "/var/lib/trolyso"
UNITS = ("trolyso-actions.service", "trolyso-rasa.service", "trolyso-gateway.service")
ENV_FILE = "/etc/trolyso/trolyso.env"


# --- what the project provides ----------------------------------------------------------------------------------


class _Recording(dict):
    """An empty environment that remembers every name `Settings.from_env` asks for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.asked.add(key)
        return super().__contains__(key)


def setting_names() -> set[str]:
    env = _Recording()
    Settings.from_env(env)
    return env.asked


def stack_services(tmp_path: Path, **environ: str) -> dict[str, object]:
    """`trolyso up`'s services (bot/stack.py), built with placeholder programs into a temporary data dir."""
    settings = Settings.from_env({"TROLYSO_DATA_DIR": str(tmp_path), **environ})
    config = StackConfig.from_settings(settings)
    config.rasa_bin = config.model = Path(sys.executable)  # build_services only checks that they exist
    return {s.name: s for s in build_services(config, settings)}


def process_env_names(tmp_path: Path) -> set[str]:
    """Variables `trolyso up` gives its processes besides the settings (PYTHONPATH, Rasa's tracker address…)."""
    services = stack_services(tmp_path, TROLYSO_REDIS_URL="redis://:pw@127.0.0.1:6379/0")
    return {name for service in services.values() for name in service.env}  # type: ignore[attr-defined]


def readme_setting_names() -> set[str]:
    """Every variable in the README's Configuration table, wildcards (`ZALO_OA_*`) expanded over the settings."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = setting_names()
    found: set[str] = set()
    for line in table.splitlines():
        if not line.startswith("| `"):
            continue
        for token in re.findall(r"`([A-Z0-9_*]+)`", line.split("|")[1]):
            if "*" in token:
                matched = fnmatch.filter(names, token)
                assert matched, f"README's {token} names no setting"
                found.update(matched)
            else:
                found.add(token)
    assert len(found) > 30
    return found


def repo_path(path: str) -> Path:
    """A path on the server as it is in this checkout (/opt/trolyso/x -> <checkout>/x)."""
    assert path.startswith(INSTALL + "/"), f"{path} is not under {INSTALL}"
    return ROOT / path[len(INSTALL) + 1 :]


def console_scripts() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(data["project"]["scripts"])


def check_program(path: str) -> None:
    """A program the deployment runs: in one of the two environments `make setup` / `make rasa-env` create."""
    rel = repo_path(path) if path.startswith("/") else ROOT / path
    rel_name = rel.relative_to(ROOT).as_posix()
    if rel_name.startswith(".venv/bin/"):
        assert rel.name == "python" or rel.name in console_scripts(), f"{path}: not a program of the app venv"
    elif rel_name.startswith(".venv-rasa/bin/"):
        assert rel == Settings.rasa_bin, f"{path}: Rasa is {Settings.rasa_bin.relative_to(ROOT)}"
        makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
        assert re.search(r"^RASA_BIN\s*:=\s*\$\(RASA_VENV\)/bin/rasa$", makefile, re.M)
    else:
        raise AssertionError(f"{path}: not in .venv/bin or .venv-rasa/bin")


def check_module(module: str) -> None:
    base = ROOT / module.replace(".", "/")
    assert (base / "__main__.py").is_file() or base.with_suffix(".py").is_file(), f"python -m {module}: no such module"


# --- the systemd units -----------------------------------------------------------------------------------------


def read_unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read(DEPLOY / "systemd" / name, encoding="utf-8")
    return parser


def unit_environment(unit: configparser.RawConfigParser) -> dict[str, str]:
    found = {}
    for item in shlex.split(unit.get("Service", "Environment", fallback="")):
        key, value = item.split("=", 1)
        found[key] = value
    return found


def test_units_parse_with_the_required_keys() -> None:
    for name in UNITS:
        unit = read_unit(name)
        assert {"Unit", "Service", "Install"} <= set(unit.sections()), name
        service = unit["Service"]
        assert service["User"] == "trolyso", name
        assert service["WorkingDirectory"] == INSTALL, name
        assert service["EnvironmentFile"] == ENV_FILE, name
        assert service["Restart"] == "on-failure", name
        assert float(service["RestartSec"]) > 0, name
        assert service.get("NoNewPrivileges") == "yes", name
        assert service.get("ProtectSystem") == "strict", name
        assert service.get("PrivateTmp") == "yes", name
        assert DATA in service.get("ReadWritePaths", "").split(), f"{name}: the data dir must stay writable"
        assert unit["Unit"]["PartOf"] == "trolyso.target", name
        assert unit["Install"]["WantedBy"] == "trolyso.target", name
        assert "postgresql.service" in unit["Unit"]["After"].split(), name
        # as `trolyso up` starts every process (bot/stack.py build_services: its base environment)
        assert unit_environment(unit) == {
            "PYTHONPATH": INSTALL,
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }, name
    target = read_unit("trolyso.target")
    assert set(target["Unit"]["Wants"].split()) == set(UNITS)
    assert target["Install"]["WantedBy"] == "multi-user.target"


def test_units_start_in_order() -> None:
    after = {name: set(read_unit(name)["Unit"]["After"].split()) for name in UNITS}
    wants = {name: set(read_unit(name)["Unit"].get("Wants", "").split()) for name in UNITS}
    assert "trolyso-actions.service" in after["trolyso-rasa.service"] & wants["trolyso-rasa.service"]
    assert "trolyso-rasa.service" in after["trolyso-gateway.service"] & wants["trolyso-gateway.service"]
    assert not after["trolyso-actions.service"] & set(UNITS)


def test_console_edits_reach_the_knowledge_folder() -> None:
    # the console (gateway) writes uploads and edits into knowledge/: ProtectSystem=strict must leave it writable
    paths = read_unit("trolyso-gateway.service")["Service"]["ReadWritePaths"].split()
    assert f"{INSTALL}/knowledge" in paths
    assert repo_path(f"{INSTALL}/knowledge").is_dir()


def commands(unit: configparser.RawConfigParser) -> Iterator[tuple[str, list[str]]]:
    for key in ("ExecStartPre", "ExecStart"):
        raw = unit.get("Service", key, fallback="")
        for line in raw.splitlines():
            if line.strip():
                yield key, shlex.split(line.lstrip("-+!@:"))


def test_unit_commands_exist(tmp_path: Path) -> None:
    seen = {}
    for name in UNITS:
        for key, argv in commands(read_unit(name)):
            check_program(argv[0])
            if argv[1:2] == ["-m"]:
                check_module(argv[2])
            seen[(name, key)] = argv
    # the gateway migrates before it starts (trolyso db upgrade: a command the CLI has)
    from click.testing import CliRunner

    from bot.cli import main

    pre = seen[("trolyso-gateway.service", "ExecStartPre")]
    assert pre[0].endswith("/.venv/bin/trolyso") and pre[1:3] == ["db", "upgrade"]
    help_text = CliRunner().invoke(main, [*pre[1:3], "--help"]).output
    for option in pre[3:]:
        assert option in help_text, f"trolyso db upgrade has no {option}"
    assert seen[("trolyso-actions.service", "ExecStart")][1:] == ["-m", "actions"]
    assert seen[("trolyso-gateway.service", "ExecStart")][1:] == ["-m", "connectors"]
    # Rasa as `trolyso up` starts it: the same options in the same order, its files present in the checkout
    stack_rasa = stack_services(tmp_path)["rasa"].argv  # type: ignore[attr-defined]
    rasa = seen[("trolyso-rasa.service", "ExecStart")]
    assert [a for a in rasa if a.startswith("-")] == [a for a in stack_rasa if a.startswith("-")]
    assert rasa[1] == stack_rasa[1] == "run"
    option = {rasa[i]: rasa[i + 1] for i in range(2, len(rasa) - 1) if rasa[i].startswith("--")}
    assert repo_path(option["--model"]) == Settings.rasa_model
    assert repo_path(option["--credentials"]) == ROOT / "credentials.yml"
    assert repo_path(option["--endpoints"]) == DEPLOY / "endpoints.yml"
    assert option["--interface"] == "${TROLYSO_INTERNAL_HOST}" and option["--port"] == "${TROLYSO_RASA_PORT}"


# --- variables ---------------------------------------------------------------------------------------------------


def env_template() -> tuple[dict[str, str], set[str]]:
    """deploy/trolyso.env.example: the variables it sets, and every variable it names (set or as `#NAME=`)."""
    active: dict[str, str] = {}
    named: set[str] = set()
    for line in (DEPLOY / "trolyso.env.example").read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"(#)?\s*([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if m:
            named.add(m.group(2))
            if not m.group(1):
                assert m.group(2) not in active, f"{m.group(2)} is set twice"
                active[m.group(2)] = m.group(3).strip().strip('"')
    return active, named


def test_env_template_names_only_real_settings_and_every_documented_one(tmp_path: Path) -> None:
    active, named = env_template()
    allowed = setting_names() | process_env_names(tmp_path)
    assert named - allowed == set(), "not settings"
    assert readme_setting_names() - named == set(), "in README's Configuration table but not in the env template"
    # the production musts are set, not left to their defaults
    for must in (
        "TROLYSO_USER_SALT",
        "TROLYSO_RASA_TOKEN",
        "TROLYSO_COMMUNE",
        "TROLYSO_PUBLIC_URL",
        "TROLYSO_TRUSTED_PROXIES",
        "TROLYSO_COOKIE_SECURE",
        "TROLYSO_DATA_DIR",
        "TROLYSO_RASA_TRACKER_URL",
    ):
        assert must in active, must
    assert active["TROLYSO_USER_SALT"] != Settings.user_salt
    assert active["TROLYSO_TRUSTED_PROXIES"] == "127.0.0.1" and active["TROLYSO_COOKIE_SECURE"] == "1"
    assert active["TROLYSO_DATA_DIR"] == DATA
    # the values set are valid (an env file the services would refuse fails here)
    settings = Settings.from_env(active)
    assert settings.host == "127.0.0.1" and settings.internal_host == "127.0.0.1"
    assert settings.public_url.startswith("https://")
    assert "TROLYSO_DATABASE_URL" in named  # PostgreSQL is shown


def test_units_use_only_variables_the_env_file_sets(tmp_path: Path) -> None:
    active, _ = env_template()
    allowed = setting_names() | process_env_names(tmp_path)
    for name in UNITS:
        text = (DEPLOY / "systemd" / name).read_text(encoding="utf-8")
        body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        for var in re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", body):
            assert var in allowed, f"{name}: {var} is not a setting"
            assert var in active, f"{name} uses {var}: the env template must set it"
        for var in unit_environment(read_unit(name)):
            assert var in allowed, f"{name}: {var}"


def test_rasa_endpoints_match_what_trolyso_up_writes(tmp_path: Path) -> None:
    active, _ = env_template()
    settings = Settings.from_env(active)
    stack_services(tmp_path / "plain")
    plain = yaml.safe_load((tmp_path / "plain" / "endpoints.yml").read_text(encoding="utf-8"))
    ours = yaml.safe_load((DEPLOY / "endpoints.yml").read_text(encoding="utf-8"))
    assert set(ours) == set(plain)
    assert ours["action_endpoint"]["url"] == f"http://{settings.internal_host}:{settings.actions_port}/webhook"
    assert ours["tracker_store"] == plain["tracker_store"]
    text = (DEPLOY / "endpoints.yml").read_text(encoding="utf-8")
    for var in re.findall(r"\$\{([A-Z0-9_]+)\}", "\n".join(ln for ln in text.splitlines() if "#" not in ln)):
        assert var in active, f"deploy/endpoints.yml uses {var}: the env template must set it"
    stack_services(tmp_path / "redis", TROLYSO_REDIS_URL="redis://redis:6379/0")
    redis = yaml.safe_load((tmp_path / "redis" / "endpoints.yml").read_text(encoding="utf-8"))
    compose = yaml.safe_load((DEPLOY / "endpoints.compose.yml").read_text(encoding="utf-8"))
    assert set(compose) == set(redis)
    assert compose["tracker_store"] == redis["tracker_store"] and compose["lock_store"] == redis["lock_store"]
    assert compose["action_endpoint"]["url"] == f"http://actions:{Settings.actions_port}/webhook"


# --- the Caddyfile -----------------------------------------------------------------------------------------------

UNITS_BYTES = {"": 1, "B": 1, "KB": 1000, "KIB": 1024, "MB": 1000**2, "MIB": 1024**2}


def caddy_limits() -> dict[tuple[str, ...], int]:
    """{the paths a named matcher takes (and `!path` for those it excludes): max_size in bytes}."""
    text = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    matchers: dict[str, tuple[str, ...]] = {}
    for m in re.finditer(r"^\s*@(\w+)\s+(\{[^}]*\}|[^\n]*)", text, re.M):
        paths = []
        for line in m.group(2).strip("{}").splitlines():
            words = line.split()
            if words[:2] == ["not", "path"]:
                paths += ["!" + p for p in words[2:]]
            elif words[:1] == ["path"]:
                paths += words[1:]
        matchers[m.group(1)] = tuple(paths)
    limits = {}
    for name, size in re.findall(r"request_body\s+@(\w+)\s*\{\s*max_size\s+(\S+)\s*\}", text):
        number, unit = re.fullmatch(r"(\d+)([A-Za-z]*)", size).groups()  # type: ignore[union-attr]
        limits[matchers[name]] = int(number) * UNITS_BYTES[unit.upper()]
    return limits


def caddy_limit_for(limits: dict[tuple[str, ...], int], path: str) -> list[int]:
    def hit(pattern: str) -> bool:
        return fnmatch.fnmatchcase(path, pattern)

    found = []
    for paths, size in limits.items():
        wanted = [p for p in paths if not p.startswith("!")]
        excluded = [p[1:] for p in paths if p.startswith("!")]
        if (not wanted or any(hit(p) for p in wanted)) and not any(hit(p) for p in excluded):
            found.append(size)
    return found


SAMPLE_PATHS = (
    "/webhooks",
    "/webhooks/zalo-oa",
    "/webhooks/telegram",
    "/api/chat",
    "/api/chat/history",
    "/admin",
    "/admin/",
    "/admin/login",
    "/admin/knowledge",
    "/admin/knowledge/upload",
    "/chat",
    "/healthz",
    "/",
    "/static/widget.js",
)


def test_caddy_body_limits_are_the_gateways() -> None:
    from connectors.limits import body_limit

    limits = caddy_limits()
    assert set(limits.values()) == {size for _, size in BODY_LIMITS} | {DEFAULT_LIMIT}
    for prefix, _ in BODY_LIMITS:
        assert any(p.startswith(prefix.rstrip("/")) for paths in limits for p in paths), prefix
    for path in SAMPLE_PATHS:
        # exactly one limit applies (Caddy would apply the smallest of several), and it is the gateway's
        assert caddy_limit_for(limits, path) == [body_limit(path)], path


def test_caddy_proxies_only_the_gateway_and_hides_metrics() -> None:
    text = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    upstreams = re.findall(r"reverse_proxy\s+(.+)", body)
    assert upstreams == [f"127.0.0.1:{Settings.gateway_port}"]
    assert str(Settings.rasa_port) not in body and str(Settings.actions_port) not in body
    metrics = re.search(r"@(\w+)\s+path\s+([^\n]*/metrics\b[^\n]*)", body)
    assert metrics and "/metrics" in metrics.group(2).split(), "no matcher for /metrics"
    assert re.search(rf"(respond|abort)\s+@{metrics.group(1)}\b", body)


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is not installed")
def test_caddy_accepts_the_caddyfile() -> None:
    out = subprocess.run(
        ["caddy", "adapt", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    config = json.loads(out.stdout)
    sizes = re.findall(r'"max_size":\s*(\d+)', json.dumps(config))
    # Caddy's own reading of the sizes (1MiB = 1048576), against the gateway's constants
    assert sorted(map(int, sizes)) == sorted([size for _, size in BODY_LIMITS] + [DEFAULT_LIMIT])


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    # the units as they would be installed in this checkout (/opt/trolyso -> here); programs that `make setup` /
    # `make rasa-env` create are stood in for when this checkout has none
    programs = {".venv/bin/python", ".venv/bin/trolyso", ".venv-rasa/bin/rasa"}
    root = tmp_path / "checkout"
    for program in programs:
        real = ROOT / program
        (root / program).parent.mkdir(parents=True, exist_ok=True)
        (root / program).symlink_to(real if real.exists() else Path(sys.executable))
    for name in (*UNITS, "trolyso.target"):
        text = (DEPLOY / "systemd" / name).read_text(encoding="utf-8").replace(INSTALL, str(root))
        (tmp_path / name).write_text(text, encoding="utf-8")
    out = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(tmp_path / n) for n in (*UNITS, "trolyso.target"))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # a bad value is only warned about ("…, ignoring"): any line about our units fails, not only the exit code
    problems = [line for line in out.stderr.splitlines() if "trolyso" in line]
    assert out.returncode == 0 and not problems, out.stderr


# --- the compose file and the image --------------------------------------------------------------------------


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_services_and_commands(tmp_path: Path) -> None:
    services = compose()["services"]
    assert services["postgres"]["image"].split(":")[1].startswith("16")
    assert services["redis"]["image"].split(":")[1].startswith("7")
    apps = {name: s for name, s in services.items() if "build" in s}
    assert set(apps) == {"migrate", "actions", "rasa", "gateway"}
    for service in apps.values():
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
        argv = service["command"]
        check_program(argv[0])
        if argv[1:2] == ["-m"]:
            check_module(argv[2])
    assert apps["actions"]["command"][1:] == ["-m", "actions"]
    assert apps["gateway"]["command"][1:] == ["-m", "connectors"]
    assert apps["migrate"]["command"][1:] == ["db", "upgrade"]
    for name in ("actions", "gateway", "rasa"):
        assert apps[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
    stack_rasa = stack_services(tmp_path)["rasa"].argv  # type: ignore[attr-defined]
    rasa = apps["rasa"]["command"]
    assert [a for a in rasa if a.startswith("-")] == [a for a in stack_rasa if a.startswith("-")]
    option = {rasa[i]: rasa[i + 1] for i in range(2, len(rasa) - 1) if rasa[i].startswith("--")}
    assert repo_path(option["--model"]) == Settings.rasa_model
    assert repo_path(option["--credentials"]) == ROOT / "credentials.yml"
    assert repo_path(option["--endpoints"]) == DEPLOY / "endpoints.compose.yml"
    # only the gateway is published, on loopback, and its health check is /healthz
    assert [name for name, s in services.items() if s.get("ports")] == ["gateway"]
    assert all(p.startswith("127.0.0.1:") for p in services["gateway"]["ports"])
    assert "/healthz" in " ".join(services["gateway"]["healthcheck"]["test"])
    for name, service in services.items():
        assert "healthcheck" in service or name == "migrate", name


def test_compose_variables_are_settings(tmp_path: Path) -> None:
    allowed = setting_names() | process_env_names(tmp_path)
    for name, service in compose()["services"].items():
        if "build" not in service:
            continue
        assert service["env_file"] == "trolyso.env"  # made from trolyso.env.example
        for var in service.get("environment", {}):
            assert var in allowed, f"{name}: {var} is not a setting"
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    assert set(re.findall(r"\$\{(\w+)", text)) == {"POSTGRES_PASSWORD"}  # the one value compose itself asks for
    gateway = compose()["services"]["gateway"]["environment"]
    Settings.from_env({k: v for k, v in gateway.items() if "$" not in v})  # valid values


def test_dockerfile_builds_with_the_make_targets() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert text.count("FROM python:3.11-slim") == 2
    runs = "\n".join(re.findall(r"^RUN (.*)$", text, re.M))
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.M))
    calls = re.findall(r"\bmake PYTHON=python3 ([a-z -]+)", runs)
    assert len(calls) == 2  # one per stage
    for call in calls:
        for target in call.split():
            assert target in targets, f"make {target}: no such target"
    for needed in ("setup", "index", "rasa-env", "train"):
        assert any(needed in call.split() for call in calls), needed
    assert "/opt/trolyso/.venv-rasa" in text and "COPY --from=rasa" in text
    assert (DEPLOY / "Dockerfile.dockerignore").is_file()
