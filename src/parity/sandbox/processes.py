"""Start, find and stop the sandbox's daemons by PID, and watch their ports.

A daemon belongs to a sandbox when the PID in its pid file is alive and its command line
names the sandbox's state directory; that is how ``down`` stops only what ``up`` started,
and how ``up`` recognises what is already running. Ports are read from ``/proc/net/tcp``
and attributed to a process through the socket inodes in ``/proc/<pid>/fd``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from parity.errors import SandboxError

__all__ = [
    "descendants",
    "is_alive",
    "last_log_line",
    "listening_ports",
    "owned_pid",
    "port_is_free",
    "read_pid",
    "run_daemonizing",
    "spawn_detached",
    "stop_processes",
    "unix_socket_answers",
    "wait_until",
]

_LISTEN = "0A"


def read_pid(pid_file: Path) -> int | None:
    """The PID written in ``pid_file``, or None when absent or unreadable."""
    try:
        text = pid_file.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def is_alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state letter follows the command name, which is in parentheses.
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X")


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode("utf-8", "replace")


def owned_pid(pid_file: Path, marker: str) -> int | None:
    """The PID from ``pid_file`` if it is alive and its command line contains ``marker``.

    The marker (a path inside the state directory) guards against a stale pid file whose
    number now belongs to some other process.
    """
    pid = read_pid(pid_file)
    if pid is None or not is_alive(pid):
        return None
    return pid if marker in _cmdline(pid) else None


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (its workers and their children)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[-1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _listening_inodes() -> dict[int, int]:
    """Socket inode -> port of every TCP socket listening on this machine."""
    inodes: dict[int, int] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 9 and cols[3] == _LISTEN:
                inodes[int(cols[9])] = int(cols[1].rsplit(":", 1)[1], 16)
    return inodes


def listening_ports(pids: Iterable[int] | None = None) -> set[int]:
    """TCP ports in LISTEN state, all of them or only those whose socket ``pids`` hold."""
    inodes = _listening_inodes()
    if pids is None:
        return set(inodes.values())
    ports: set[int] = set()
    for pid in pids:
        try:
            fds = os.scandir(f"/proc/{pid}/fd")
        except OSError:
            continue
        with fds:
            for fd in fds:
                try:
                    target = os.readlink(fd.path)
                except OSError:
                    continue
                if target.startswith("socket:["):
                    port = inodes.get(int(target[8:-1]))
                    if port is not None:
                        ports.add(port)
    return ports


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on ``host:port`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def unix_socket_answers(path: Path) -> bool:
    """Whether something accepts connections on the unix socket ``path``."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.01) -> bool:
    """Call ``check`` until it returns True or ``timeout`` seconds pass; its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
        # Poll quickly at first, then back off a little so a slow start costs no CPU.
        interval = min(interval * 1.5, 0.1)


def last_log_line(log: Path, default: str = "no message") -> str:
    """The last non-empty line of ``log`` (for one-line error messages)."""
    try:
        lines = log.read_text("utf-8", "replace").splitlines()
    except OSError:
        return default
    for line in reversed(lines):
        if line.strip():
            return line.strip()[:300]
    return default


def spawn_detached(argv: list[str], log: Path, env: Mapping[str, str] | None = None) -> int:
    """Start a program that does not daemonize itself, detached from us; its PID.

    A throw-away shell in a new session starts it in the background and exits at once,
    so the daemon is re-parented to init: it survives this process, ignores the
    terminal's Ctrl-C, and never becomes our zombie. Output goes to ``log``.
    """
    script = '"$@" </dev/null >>"$0" 2>&1 & echo $!'
    done = subprocess.run(
        ["/bin/sh", "-c", script, str(log), *argv],
        capture_output=True,
        text=True,
        start_new_session=True,
        env=None if env is None else dict(env),
        check=False,
    )
    pid = done.stdout.strip()
    if done.returncode != 0 or not pid.isdigit():
        raise SandboxError(f"could not start {Path(argv[0]).name}: {done.stderr.strip()[:200]}")
    return int(pid)


def run_daemonizing(argv: list[str], log: Path, what: str, timeout: float = 30) -> None:
    """Run a program that forks into the background itself and wait for its parent.

    Output goes to ``log`` (a file, not a pipe: the daemon keeps its descriptors open).
    A non-zero exit becomes a SandboxError quoting the last line of ``log``.
    """
    with log.open("ab") as out:
        try:
            done = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SandboxError(
                f"{what} did not start within {timeout:.0f} s", hint=f"see {log}"
            ) from None
    if done.returncode != 0:
        raise SandboxError(
            f"{what} did not start: {last_log_line(log)}",
            hint=f"see {log}",
        )


def stop_processes(pids: Iterable[int], timeout: float = 20) -> None:
    """SIGTERM ``pids`` and their descendants, wait until all are gone, SIGKILL stragglers."""
    roots = [pid for pid in pids if is_alive(pid)]
    everyone = set(roots)
    for pid in roots:
        everyone.update(descendants(pid))
    for pid in roots:
        _signal(pid, signal.SIGTERM)
    if wait_until(lambda: not any(is_alive(pid) for pid in everyone), timeout):
        return
    for pid in everyone:
        _signal(pid, signal.SIGKILL)
    if not wait_until(lambda: not any(is_alive(pid) for pid in everyone), 5):
        left = ", ".join(str(pid) for pid in sorted(everyone) if is_alive(pid))
        raise SandboxError(f"processes {left} did not stop, even after SIGKILL")


def _signal(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
