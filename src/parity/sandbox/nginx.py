"""The sandbox's nginx: one master serving both sites' WordPress on their backend ports."""

from __future__ import annotations

import subprocess
from pathlib import Path

from parity.errors import SandboxError
from parity.sandbox.layout import SITES, Layout
from parity.sandbox.packages import Tools
from parity.sandbox.ports import SandboxPorts
from parity.sandbox.processes import (
    descendants,
    listening_ports,
    owned_pid,
    run_daemonizing,
    wait_until,
)
from parity.sandbox.rendering import render

__all__ = ["Nginx"]

_TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


class Nginx:
    """Write the configuration of, start and identify the sandbox's nginx master."""

    name = "nginx"

    def __init__(self, tools: Tools, layout: Layout, ports: SandboxPorts) -> None:
        self.tools = tools
        self.layout = layout
        self.ports = ports

    def pid(self) -> int | None:
        """The master's PID when it is running (ours), else None."""
        return owned_pid(*self.layout.process_identity(self.name))

    def config_text(self) -> str:
        """The nginx.conf with one server per site."""
        layout = self.layout
        servers = "\n".join(
            render(
                "nginx-server.conf",
                {
                    "site": site,
                    "varnish_port": self.ports.varnish(site),
                    "nginx_port": self.ports.nginx(site),
                    "wordpress_root": self.tools.wordpress_root,
                    "wp_content_dir": layout.wp_content(site),
                    "wordpress_config": layout.wordpress_config_name(site),
                    "fpm_socket": layout.fpm_socket(site),
                    "nginx_dir": layout.nginx_dir,
                },
            )
            for site in SITES
        )
        return render(
            "nginx.conf",
            {"state_dir": layout.root, "nginx_dir": layout.nginx_dir, "servers": servers},
        )

    def write_config(self) -> None:
        """Write nginx.conf and create its temp directories (media rules stay as they are)."""
        for name in _TEMP_DIRS:
            (self.layout.nginx_dir / "temp" / name).mkdir(parents=True, exist_ok=True)
        self.layout.nginx_media_dir.mkdir(parents=True, exist_ok=True)
        self.layout.nginx_conf.write_text(self.config_text(), "utf-8")

    def set_media_rule(self, site: str, http: str | None, server: str | None) -> None:
        """Put (or, with None, take out) ``site``'s media proxy rule, check the whole
        configuration, and make the running nginx use it. A rule nginx refuses is taken
        out again (the previous one stays) and raised as a SandboxError."""
        folder = self.layout.nginx_media_dir
        folder.mkdir(parents=True, exist_ok=True)
        files = {folder / f"{site}-http.conf": http, folder / f"{site}-server.conf": server}
        before = {path: path.read_text("utf-8") if path.is_file() else None for path in files}
        _write_or_remove(files)
        if http is not None:
            self.layout.nginx_media_cache(site).mkdir(parents=True, exist_ok=True)
        tested = subprocess.run(self.argv("-t"), capture_output=True, text=True, check=False)
        if tested.returncode != 0:
            _write_or_remove(before)
            problem = (tested.stderr.strip().splitlines() or ["no message"])[0]
            raise SandboxError(f"nginx refused the media rule of {site}: {problem}")
        self.reload()

    def reload(self) -> None:
        """Make the running nginx read its configuration again; wait until its old
        workers are gone (their requests served), so the next request sees the change."""
        pid = self.pid()
        if pid is None:
            return  # not running: the next `up` starts it with the files as they are
        old = set(descendants(pid))
        done = subprocess.run(
            self.argv("-s", "reload"), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise SandboxError(
                f"nginx did not reload: {done.stderr.strip() or 'no message'}",
                hint=f"see {self.layout.nginx_log}",
            )
        if not wait_until(lambda: not (old & set(descendants(pid))), 10, interval=0.02):
            raise SandboxError("nginx's old workers did not stop after a reload")

    def argv(self, *extra: str) -> list[str]:
        """nginx's command line with this sandbox's -e, -p and -c."""
        layout = self.layout
        return [
            str(self.tools.nginx),
            "-e",
            str(layout.nginx_log),
            "-p",
            f"{layout.nginx_dir}/",
            "-c",
            str(layout.nginx_conf),
            *extra,
        ]

    def start(self) -> int:
        """Start nginx and wait until both sites' ports listen."""
        layout = self.layout
        run_daemonizing(self.argv(), layout.nginx_dir / "nginx.out", "nginx")
        wanted = {self.ports.nginx(site) for site in SITES}
        pid: int | None = None

        def listening() -> bool:
            nonlocal pid
            pid = self.pid()
            return pid is not None and wanted <= listening_ports([pid])

        if not wait_until(listening, 10) or pid is None:
            raise SandboxError("nginx started but does not listen", hint=f"see {layout.nginx_log}")
        return pid


def _write_or_remove(files: dict[Path, str | None]) -> None:
    for path, text in files.items():
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(text, "utf-8")
