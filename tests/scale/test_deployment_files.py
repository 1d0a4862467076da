"""docker-compose.yml, deploy/.env.example, the Dockerfile and the Rasa scale files agree.

No Docker engine runs here, so this checks what can be checked without one:
``docker-compose config`` (Debian's docker-compose 1.29: ``apt-get install -y
docker-compose``) and a small parser for the Dockerfile's instructions.
"""
from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = DEPLOY / ".env.example"
DOCKERFILES = [DEPLOY / "Dockerfile"]
INSTRUCTIONS = {
    "FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
    "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
}
JSON_FORM = {"CMD", "ENTRYPOINT", "RUN", "SHELL"}


# -- a tiny Dockerfile parser ------------------------------------------------------

def parse_dockerfile(text: str) -> list[tuple[int, str, str]]:
    """(line number, INSTRUCTION, arguments) with continuations joined, comments dropped."""
    out: list[tuple[int, str, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # comments (and parser directives) may sit inside a continuation too
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        word, _, args = full.partition(" ")
        out.append((start, word, args.strip()))
    assert not pending, "the Dockerfile ends inside a line continuation"
    return out


def check_dockerfile(path: Path) -> dict[str, list[tuple[int, str, str]]]:
    """Fail on anything Docker's parser would reject; return instructions per stage."""
    stages: dict[str, list[tuple[int, str, str]]] = {}
    current: list[tuple[int, str, str]] | None = None
    for number, word, args in parse_dockerfile(path.read_text("utf-8")):
        where = f"{path.name}:{number}"
        assert word.isupper() and word in INSTRUCTIONS, f"{where}: unknown instruction {word!r}"
        assert args, f"{where}: {word} without arguments"
        if word == "FROM":
            parts = args.split()
            assert len(parts) in (1, 3) and (len(parts) == 1 or parts[1].upper() == "AS"), where
            name = parts[2] if len(parts) == 3 else f"stage{len(stages)}"
            assert name not in stages, f"{where}: stage {name!r} twice"
            current = stages[name] = []
            continue
        assert current is not None or word == "ARG", f"{where}: {word} before the first FROM"
        if word == "HEALTHCHECK":
            options = re.match(r"((?:--[a-z-]+=\S+\s+)*)(CMD|NONE)\b\s*(.*)$", args)
            assert options, f"{where}: HEALTHCHECK needs [options] CMD ... or NONE"
            for option in options.group(1).split():
                assert option.split("=")[0] in {"--interval", "--timeout", "--start-period",
                                                "--start-interval", "--retries"}, f"{where}: {option}"
            args, word = options.group(3), "CMD" if options.group(2) == "CMD" else "NONE"
        if word in JSON_FORM and args.startswith("["):
            value = json.loads(args)  # exec form must be a JSON array of strings
            assert isinstance(value, list) and value and all(isinstance(v, str) for v in value), where
        if word == "ENV":
            assert all("=" in pair for pair in shlex.split(args)), f"{where}: ENV key=value ..."
        if word == "EXPOSE":
            assert all(re.fullmatch(r"\d+(/(tcp|udp))?", p) for p in args.split()), where
        if current is not None:
            current.append((number, word, args))
    assert stages, f"{path.name}: no FROM"
    return stages


def test_dockerfiles_parse_and_copy_only_what_exists_and_is_not_ignored() -> None:
    for dockerfile in DOCKERFILES:
        stages = check_dockerfile(dockerfile)
        ignore = dockerfile.with_name(dockerfile.name + ".dockerignore").read_text("utf-8").split()
        allowed = {p[1:].rstrip("/") for p in ignore if p.startswith("!")}
        for steps in stages.values():
            for number, word, args in steps:
                if word != "COPY" or "--from" in args:
                    continue
                *sources, _ = [a for a in shlex.split(args) if not a.startswith("--")]
                for source in sources:
                    assert (ROOT / source).exists(), f"{dockerfile.name}:{number}: {source} missing"
                    assert source.rstrip("/") in allowed, f"{source} is excluded by the .dockerignore"


def test_the_dockerfile_has_the_bot_and_action_server_targets() -> None:
    stages = check_dockerfile(DEPLOY / "Dockerfile")
    assert {"bot", "action-server", "rasa"} <= set(stages)
    cmds = {name: [json.loads(a) for _, w, a in steps if w == "CMD"] for name, steps in stages.items()}
    assert cmds["bot"][-1] == ["python", "-m", "bot", "run"]
    assert cmds["action-server"][-1][:4] == ["python", "-m", "rasa_sdk", "--actions"]
    assert cmds["rasa"][-1][:2] == ["rasa", "run"]
    # every stage comes from the base, which installs both locks and copies what the model loads
    base = " ".join(a for _, w, a in stages["base"] if w in ("RUN", "COPY"))
    assert "requirements-models.lock" in base and "--require-hashes" in base
    for folder in ("embedding/", "conversations/", "nlu/"):
        assert f"COPY {folder} {folder}" in " ".join(f"{w} {a}" for _, w, a in stages["base"]), folder


def test_the_parser_rejects_broken_dockerfiles(tmp_path: Path) -> None:
    for text in ("RUN echo hi\n", "FROM x\nCOPPY a b\n", "FROM x\nCMD [\"a\", \n",
                 "FROM x\nHEALTHCHECK --every=1s CMD true\n", "FROM x AS a\nFROM y AS a\n"):
        broken = tmp_path / "Dockerfile"
        broken.write_text(text)
        with pytest.raises((AssertionError, ValueError)):
            check_dockerfile(broken)


# -- docker-compose ----------------------------------------------------------------

def filled_env(tmp_path: Path) -> Path:
    """deploy/.env.example with every secret left blank filled with a dummy value."""
    text = re.sub(r"(?m)^([A-Z_]+)=$", r"\1=dummy-\1", ENV_EXAMPLE.read_text("utf-8"))
    path = tmp_path / "deploy.env"
    path.write_text(text)
    return path


def compose(env_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("docker-compose") is None:
        skip_or_fail("docker-compose is not installed (apt-get install -y docker-compose)")
    return subprocess.run(
        ["docker-compose", "--env-file", str(env_file), "-f", str(COMPOSE), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    env = filled_env(tmp_path_factory.mktemp("compose"))
    quiet = compose(env, "config", "-q")
    assert quiet.returncode == 0, quiet.stderr
    full = compose(env, "--profile", "train", "config")
    assert full.returncode == 0, full.stderr
    return dict(yaml.load(full.stdout, Loader=yaml.BaseLoader))  # noqa: S506 - plain strings


def test_compose_config_is_valid_with_health_checks(config: dict[str, Any]) -> None:
    services = config["services"]
    assert {"rasa", "action-server", "bot", "postgres", "redis"} <= set(services)
    # Rasa runs from the project's image: the model's components need onnxruntime, the
    # sentence-model packages and embedding/; the tracker store is conversations/
    assert services["rasa"]["build"]["target"] == "rasa"
    assert services["rasa"]["command"][:2] == ["rasa", "run"]
    assert services["rasa-train"]["build"]["target"] == "rasa"
    assert services["rasa-train"]["command"][:2] == ["rasa", "train"]
    assert not any("rasa/rasa" in str(s.get("image")) for s in services.values())
    for name in ("rasa", "action-server", "bot", "postgres", "redis"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no health check"
    assert services["bot"]["command"] == ["python", "-m", "bot", "run"]
    assert services["bot"]["environment"]["TELEGRAM_WEBHOOK_URL"].startswith("https://")
    assert services["bot"]["environment"]["RASA_URL"] == "http://rasa:5005"
    targets = {s["build"]["target"] for s in services.values() if "build" in s}
    assert targets == {"bot", "action-server", "rasa"}
    # scalable: no fixed container name, no published port on the Rasa service
    assert "container_name" not in services["rasa"] and not services["rasa"].get("ports")


def test_compose_refuses_to_start_without_the_secrets(tmp_path: Path) -> None:
    result = compose(ENV_EXAMPLE, "config", "-q")  # the example leaves the secrets blank
    assert result.returncode != 0
    assert "in deploy/.env" in result.stderr


def test_rasa_gets_every_variable_its_endpoints_and_credentials_files_use(config: dict[str, Any]) -> None:
    rasa = config["services"]["rasa"]
    env = rasa["environment"]
    for name in ("endpoints.scale.yml", "credentials.scale.yml"):
        text = "\n".join(line.split("#", 1)[0] for line in (DEPLOY / name).read_text("utf-8").splitlines())
        used = set(re.findall(r"\$\{([A-Z_]+)\}", text))
        assert used and used <= set(env), f"{name} needs {sorted(used - set(env))}"
        assert f"deploy/{name}" in rasa["command"]
    assert env["ACTION_ENDPOINT_URL"] == "http://action-server:5055/webhook"
    assert env["TRACKER_DB_HOST"] == "postgres" and env["LOCK_REDIS_HOST"] == "redis"
    assert env["TRACKER_KEY"] == "dummy-TRACKER_KEY"  # required, from deploy/.env
    assert "TRACKER_KEY" not in config["services"]["bot"]["environment"]  # only Rasa reads trackers
    assert "${TRACKER_KEY:?" in COMPOSE.read_text("utf-8")  # compose refuses to start without it


def test_the_env_example_lists_every_setting_compose_reads() -> None:
    compose_vars = set(re.findall(r"\$\{([A-Z_]+)", COMPOSE.read_text("utf-8")))
    example = set(re.findall(r"(?m)^([A-Z_]+)=", ENV_EXAMPLE.read_text("utf-8")))
    assert compose_vars == example, (sorted(compose_vars - example), sorted(example - compose_vars))


def raw_yaml(path: Path) -> Any:
    """The file as plain strings: once rasa is imported, yaml.safe_load expands ${VAR}s."""
    return yaml.load(path.read_text("utf-8"), Loader=yaml.BaseLoader)  # noqa: S506 - no tags


def test_the_scale_endpoints_use_postgres_redis_and_the_action_server() -> None:
    endpoints = raw_yaml(DEPLOY / "endpoints.scale.yml")
    # Rasa's SQL store with every event encrypted, its key from the environment
    assert endpoints["tracker_store"]["type"] == "conversations.tracker_store.EncryptedSQLTrackerStore"
    assert "key" not in endpoints["tracker_store"]  # TRACKER_KEY, never in a file
    assert endpoints["tracker_store"]["retention_hours"] == "${CONVERSATION_RETENTION_HOURS}"
    assert endpoints["tracker_store"]["dialect"] == "postgresql"
    assert endpoints["lock_store"]["type"] == "nlu.channels.AtomicRedisLockStore"
    assert endpoints["action_endpoint"]["url"] == "${ACTION_ENDPOINT_URL}"
    credentials = raw_yaml(DEPLOY / "credentials.scale.yml")
    assert list(credentials) == ["nlu.channels.BotInput"]
