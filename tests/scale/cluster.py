"""A throw-away scale deployment on this machine: action server + N Rasa servers.

The Rasa servers are real ``rasa run --enable-api`` processes with the
deploy/ endpoints and credentials files, sharing a PostgreSQL tracker store (a
database created for this run and dropped afterwards) and a Redis lock store (a
key prefix unique to this run).  Used by the ``scale_cluster`` fixture and by
``tests/scale/measure.py``.

Where the stores are, from the environment (defaults: this machine's test setup):
``SCALE_PG_HOST`` 127.0.0.1, ``SCALE_PG_PORT`` 5432, ``SCALE_PG_USER`` postgres,
``SCALE_PG_PASSWORD`` (empty), ``SCALE_PG_LOGIN_DB`` test, ``SCALE_REDIS_HOST``
127.0.0.1, ``SCALE_REDIS_PORT`` 6379, ``SCALE_REDIS_DB`` 1.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "stalking-bot.tar.gz"
BIN = Path(sys.executable).parent
ENDPOINTS = ROOT / "deploy" / "endpoints.scale.yml"
CREDENTIALS = ROOT / "deploy" / "credentials.scale.yml"
START_TIMEOUT = 180.0


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


PG = {
    "host": _env("SCALE_PG_HOST", "127.0.0.1"),
    "port": int(_env("SCALE_PG_PORT", "5432")),
    "user": _env("SCALE_PG_USER", "postgres"),
    "password": _env("SCALE_PG_PASSWORD", ""),
    "dbname": _env("SCALE_PG_LOGIN_DB", "test"),
}
REDIS = {
    "host": _env("SCALE_REDIS_HOST", "127.0.0.1"),
    "port": int(_env("SCALE_REDIS_PORT", "6379")),
    "db": int(_env("SCALE_REDIS_DB", "1")),
}


def stores_unreachable() -> Optional[str]:
    """Why PostgreSQL or Redis cannot be used, or None when both answer."""
    try:
        import psycopg2

        psycopg2.connect(connect_timeout=3, **PG).close()
    except Exception as error:  # noqa: BLE001
        return f"PostgreSQL at {PG['host']}:{PG['port']} unreachable ({type(error).__name__}: {error})"
    try:
        import redis

        redis.Redis(socket_timeout=3, socket_connect_timeout=3, **REDIS).ping()
    except Exception as error:  # noqa: BLE001
        return f"Redis at {REDIS['host']}:{REDIS['port']} unreachable ({type(error).__name__}: {error})"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _admin(sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(**PG)
    conn.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


@dataclass
class Cluster:
    urls: list[str]
    action_url: str
    token: str
    db_name: str
    lock_prefix: str
    logs: Path
    tracker_key: str = ""
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run a query on this run's tracker-store database."""
        import psycopg2

        conn = psycopg2.connect(**{**PG, "dbname": self.db_name})
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall())
        finally:
            conn.close()

    def event_count(self, sender_id: str, type_name: Optional[str] = None) -> int:
        sql = "SELECT count(*) FROM events WHERE sender_id = %s"
        params: tuple[Any, ...] = (sender_id,)
        if type_name:
            sql += " AND type_name = %s"
            params += (type_name,)
        return int(self.query(sql, params)[0][0])

    def log_tail(self, lines: int = 30) -> str:
        out = []
        for path in sorted(self.logs.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(out)


def _spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # the group we started (start_new_session)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)


@contextmanager
def running_cluster(logs: Path, replicas: int = 2) -> Iterator[Cluster]:
    """Start the stores' run-local namespaces, the action server and the Rasa servers."""
    run = uuid.uuid4().hex[:10]
    cluster = Cluster(
        urls=[], action_url="", token=f"scale-{uuid.uuid4().hex}", db_name=f"stalkbot_scale_{run}",
        lock_prefix=f"scale{run}", logs=logs, tracker_key=Fernet.generate_key().decode(),
    )
    logs.mkdir(parents=True, exist_ok=True)
    _admin(f'CREATE DATABASE "{cluster.db_name}"')
    try:
        action_port = free_port()
        cluster.action_url = f"http://127.0.0.1:{action_port}"
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONWARNINGS": "ignore",
            "ACTION_ENDPOINT_URL": f"{cluster.action_url}/webhook",
            "TRACKER_DB_HOST": PG["host"],
            "TRACKER_DB_PORT": str(PG["port"]),
            "TRACKER_DB_NAME": cluster.db_name,
            "TRACKER_DB_USER": PG["user"],
            "TRACKER_DB_PASSWORD": PG["password"],
            "LOCK_REDIS_HOST": REDIS["host"],
            "LOCK_REDIS_PORT": str(REDIS["port"]),
            "LOCK_REDIS_DB": str(REDIS["db"]),
            "LOCK_REDIS_PASSWORD": "",
            "LOCK_REDIS_PREFIX": cluster.lock_prefix,
            "RASA_TOKEN": cluster.token,
            "TRACKER_KEY": cluster.tracker_key,
            "CONVERSATION_RETENTION_HOURS": "24",
        }
        cluster.procs.append(_spawn(
            # what `rasa run actions --actions nlu.actions` runs, and the image's command
            [sys.executable, "-m", "rasa_sdk", "--actions", "nlu.actions", "--port", str(action_port)],
            env, logs / "action-server.log"))
        for index in range(replicas):
            port = free_port()
            cluster.urls.append(f"http://127.0.0.1:{port}")
            cluster.procs.append(_spawn(
                [str(BIN / "rasa"), "run", "--enable-api", "--auth-token", cluster.token,
                 "-m", str(MODEL), "--endpoints", str(ENDPOINTS), "--credentials", str(CREDENTIALS),
                 "-i", "127.0.0.1", "-p", str(port)],
                env, logs / f"rasa-{chr(ord('a') + index)}.log"))
        checks = [f"{cluster.action_url}/health"]
        checks += [f"{url}/status?token={cluster.token}" for url in cluster.urls]
        deadline = time.monotonic() + START_TIMEOUT
        while checks:
            dead = [p for p in cluster.procs if p.poll() is not None]
            if dead:
                raise RuntimeError(f"a server exited while starting:\n{cluster.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"servers not ready after {START_TIMEOUT:g} s:\n{cluster.log_tail()}")
            checks = [c for c in checks if not _ready(c)]
            if checks:
                time.sleep(0.5)
        yield cluster
    finally:
        for proc in cluster.procs:
            _stop(proc)
        try:
            _admin(f'DROP DATABASE IF EXISTS "{cluster.db_name}" WITH (FORCE)')
        finally:
            import redis

            red = redis.Redis(**REDIS)
            for key in red.scan_iter(f"{cluster.lock_prefix}:*"):
                red.delete(key)
