"""``parity serve`` in the background on the sandbox, its four answers, and a clean stop.

The service runs as a real ``parity serve`` process on a free loopback port, with a
temporary copy of the sandbox's parity.toml that probes every second (``[monitor] interval_s =
1``) and shares the demo's state store. Once both environments answer "up", the answers
are read from the store exactly as ``parity status`` reads them; then the process is
stopped (SIGTERM, as Ctrl-C would), and the step checks it is gone.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from parity.config import Settings, load_settings
from parity.monitor.status import StatusReport, build_status
from parity.sandbox.demo.steps import DemoContext, Step, StepFailed
from parity.sandbox.processes import last_log_line, port_is_free, wait_until
from parity.sandbox.state import write_private
from parity.store import open_store

__all__ = ["SERVICE_STORY", "ServiceWatched"]

#: How long the service may take to listen and to see both sites up (bounded waits).
LISTEN_TIMEOUT_S = 60.0
GREEN_TIMEOUT_S = 90.0
#: Seconds between two probes of one check, for the demo (the default is 30).
DEMO_INTERVAL_S = 1


@dataclass(frozen=True)
class ServiceWatched:
    """What the running service answered, and how it was started and stopped."""

    command: str
    url: str
    report: StatusReport
    seconds_to_up: float
    stopped: bool


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _demo_config(ctx: DemoContext, folder: Path) -> Path:
    """The sandbox's parity.toml, probing every second, sharing the demo's state store."""
    path = folder / "parity.toml"
    text = ctx.sandbox.config_path.read_text("utf-8")
    text += (
        "\n# written by `parity demo`: the sandbox's config, probing every second\n"
        f"[state]\nurl = {_toml_string(ctx.settings.state_url())}\n\n"
        f"[monitor]\ninterval_s = {DEMO_INTERVAL_S}\n"
    )
    write_private(path, text)  # it holds the sandbox's passwords
    return path


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _all_up(report: StatusReport) -> bool:
    return bool(report.environments) and all(
        e.answers["up"].level == "green" for e in report.environments
    )


def _serve(ctx: DemoContext) -> ServiceWatched:
    # The config (it holds passwords) and the log live only as long as the step.
    with tempfile.TemporaryDirectory(prefix="parity-demo-serve-") as folder:
        return _serve_with(ctx, Path(folder))


def _serve_with(ctx: DemoContext, folder: Path) -> ServiceWatched:
    config = _demo_config(ctx, folder)
    settings = load_settings(config)
    port = _free_port()
    argv = ["-m", "parity.cli.main", "--config", str(config), "serve", "--port", str(port)]
    shown = shlex.join(["parity", *argv[2:]])
    log = folder / "serve.log"
    ctx.progress(f"starting {shown}")
    environ = {k: v for k, v in os.environ.items() if k != "PARITY_SERVE_TOKEN"}
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [sys.executable, *argv], stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=environ
        )
    started = time.monotonic()
    try:
        if (
            not wait_until(
                lambda: process.poll() is not None or not port_is_free(port), LISTEN_TIMEOUT_S, 0.1
            )
            or process.poll() is not None
        ):
            raise StepFailed(f"parity serve did not start: {last_log_line(log)}")
        ctx.progress(f"listening on http://127.0.0.1:{port}/; waiting for the first probes")
        report = _wait_for_up(settings, process, log)
        seconds = time.monotonic() - started
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    stopped = port_is_free(port) or wait_until(lambda: port_is_free(port), 10, 0.1)
    return ServiceWatched(shown, f"http://127.0.0.1:{port}/", report, seconds, stopped)


def _wait_for_up(settings: Settings, process: subprocess.Popen[bytes], log: Path) -> StatusReport:
    """The status once every environment answers up (or when the wait is over)."""
    deadline = time.monotonic() + GREEN_TIMEOUT_S
    with open_store(settings.state_url()) as store:
        while True:
            report = build_status(settings, store)
            if _all_up(report):
                return report
            if process.poll() is not None:
                raise StepFailed(f"parity serve stopped: {last_log_line(log)}")
            if time.monotonic() >= deadline:
                return report  # the check names what is not up
            time.sleep(0.5)


def _check_served(watched: ServiceWatched) -> None:
    if not _all_up(watched.report):
        down = [
            f"{e.environment}: {e.answers['up'].reason}"
            for e in watched.report.environments
            if e.answers["up"].level != "green"
        ]
        raise StepFailed(f"not every environment answered up: {'; '.join(down)}")
    if not watched.stopped:
        raise StepFailed("parity serve did not stop")


SERVICE_STORY: list[Step] = [
    Step(
        "Watch both sites as a service",
        "`parity serve` in the background: checks as data, probing every environment"
        " (home, a post, the REST API, wp-login, an admin page, a cache HIT); `parity"
        " status` then answers four questions per environment: is it up, is it slow, are"
        " jobs failing, did the last deployment change anything. Then the service stops.",
        _serve,
        _check_served,
    ),
]
