"""Varnish in front of each site: same WordPress VCL for both, production's replaceable.

The WordPress VCL is parity's default cache rules rendered by ``parity.cache``
(``sandbox_vcl``), so the sandbox runs exactly what ``parity cache render varnish`` gives.

Each site gets its own varnishd (public port = the site's URL, admin port for varnishadm),
with ``-n`` an absolute directory in the state dir and ``-j none`` so that everything,
VCL compilation included, runs as root inside the state dir::

    cache = Varnish(tools, layout, ports, "production")
    cache.start(layout.varnish_vcl("production"))
    cache.use_vcl(Path("rendered.vcl"))    # swap the running VCL, keeping the cache process
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import subprocess
import time
from pathlib import Path

from parity.cache.sandbox_vcl import sandbox_vcl
from parity.errors import SandboxError
from parity.sandbox.layout import Layout
from parity.sandbox.packages import Tools
from parity.sandbox.ports import SandboxPorts
from parity.sandbox.processes import listening_ports, owned_pid, run_daemonizing, wait_until
from parity.sandbox.state import write_private

__all__ = ["Varnish", "vcl_digest", "wordpress_vcl"]

# Small on purpose: a sandbox caches two small sites.
_VARNISHD_OPTIONS = (
    "-s",
    "malloc,64m",
    "-t",
    "300",
    "-p",
    "thread_pools=1",
    "-p",
    "thread_pool_min=10",
    "-p",
    "vsl_space=16M",
)


def wordpress_vcl(site: str, backend_port: int, public_port: int) -> str:
    """The sandbox's WordPress VCL for a backend on ``127.0.0.1:backend_port``.

    It is parity's default cache rules rendered to VCL (``parity.cache.sandbox_vcl``).
    A renderer of custom VCL can start from it; its backend must stay the site's nginx.
    """
    return sandbox_vcl(site, backend_port, public_port)


def vcl_digest(path: Path) -> str:
    """SHA-256 of a VCL file's bytes (to know whether the running VCL is the wanted one)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise SandboxError(f"cannot read the VCL file {path}: {exc.strerror}") from None


class Varnish:
    """Start, identify and reconfigure the varnishd of one site."""

    def __init__(self, tools: Tools, layout: Layout, ports: SandboxPorts, site: str) -> None:
        self.tools = tools
        self.layout = layout
        self.ports = ports
        self.site = site
        self.name = f"varnish-{site}"

    @property
    def port(self) -> int:
        """The public port (the site's URL)."""
        return self.ports.varnish(self.site)

    @property
    def admin_port(self) -> int:
        """The admin (-T) port."""
        return self.ports.varnish_admin(self.site)

    def pid(self) -> int | None:
        """The manager's PID when it is running (ours), else None."""
        return owned_pid(*self.layout.process_identity(self.name))

    def write_default_vcl(self) -> Path:
        """Write the WordPress VCL for this site into the state dir; its path."""
        layout = self.layout
        layout.varnish_dir.mkdir(parents=True, exist_ok=True)
        if not layout.varnish_secret.exists():
            write_private(layout.varnish_secret, secrets.token_hex(32) + "\n")
        path = layout.varnish_vcl(self.site)
        text = wordpress_vcl(self.site, self.ports.nginx(self.site), self.port)
        path.write_text(text, "utf-8")
        return path

    def start(self, vcl: Path) -> int:
        """Start varnishd on ``vcl`` and wait until its public and admin ports listen."""
        layout = self.layout
        argv = [
            str(self.tools.varnishd),
            "-j",
            "none",
            "-a",
            f"127.0.0.1:{self.port}",
            "-T",
            f"127.0.0.1:{self.admin_port}",
            "-S",
            str(layout.varnish_secret),
            "-n",
            str(layout.varnish_workdir(self.site)),
            "-f",
            str(vcl.resolve()),
            "-P",
            str(layout.varnish_pid(self.site)),
            *_VARNISHD_OPTIONS,
        ]
        log = layout.varnish_log(self.site)
        offset = log.stat().st_size if log.exists() else 0
        try:
            run_daemonizing(argv, log, f"Varnish for {self.site}")
        except SandboxError as exc:
            with log.open("rb") as out:
                out.seek(offset)
                printed = out.read().decode("utf-8", "replace")
            raise SandboxError(
                f"Varnish for {self.site} did not start: {_summary(printed)}",
                hint=f"the full output is in {log}",
            ) from exc
        wanted = {self.port, self.admin_port}
        pid: int | None = None

        def listening() -> bool:
            nonlocal pid
            pid = self.pid()
            return pid is not None and wanted <= listening_ports([pid])

        if not wait_until(listening, 10) or pid is None:
            raise SandboxError(
                f"Varnish for {self.site} started but does not listen",
                hint=f"see {layout.varnish_log(self.site)}",
            )
        return pid

    def admin(self, *command: str) -> str:
        """Run one varnishadm command; its output, or a SandboxError with the first error line."""
        argv = [
            str(self.tools.varnishadm),
            "-T",
            f"127.0.0.1:{self.admin_port}",
            "-S",
            str(self.layout.varnish_secret),
            "-t",
            "30",
            *command,
        ]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        output = (done.stdout + done.stderr).strip()
        if done.returncode != 0:
            log = self.layout.varnish_log(self.site)
            with log.open("a", encoding="utf-8") as out:
                out.write(f"$ varnishadm {' '.join(command)}\n{output}\n")
            raise SandboxError(
                f"varnishadm {command[0]} failed for {self.site}: {_summary(output)}",
                hint=f"the full output is in {log}",
            )
        return output

    def use_vcl(self, vcl: Path, previous: str | None = None) -> str:
        """Compile ``vcl`` into the running varnishd and make it active; its VCL name.

        ``previous`` (the name returned last time) is discarded afterwards, so loaded
        VCLs do not pile up.
        """
        name = f"parity_{time.time_ns()}"
        self.admin("vcl.load", name, str(vcl.resolve()))
        self.admin("vcl.use", name)
        if previous and previous != name:
            # A VCL still busy with requests may refuse to go; it is harmless.
            with contextlib.suppress(SandboxError):
                self.admin("vcl.discard", previous)
        return name


def _summary(output: str) -> str:
    """The gist of varnishadm's output on one line (for a VCC error: what and where)."""
    marker = "Message from VCC-compiler:"
    if marker in output:
        output = output.split(marker, 1)[1]
    kept: list[str] = []
    for line in output.splitlines():
        line = line.strip()
        if not line or line == "Error:" or line.startswith("Could not delete"):
            continue
        kept.append(line)
        # VCC names the position of the error on this line; the rest is decoration.
        if " Line " in line and " Pos " in line:
            break
        if len(kept) == 4:
            break
    return " ".join(kept)[:300] or "no output"
