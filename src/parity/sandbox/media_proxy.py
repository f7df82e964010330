"""The sandbox as the web server of a media proxy (``parity media proxy ENV --apply``).

An environment is served by a sandbox when its ``wp_content_dir`` is a sandbox site's
(``<state>/<site>/wp-content``, with ``<state>/sandbox.json`` beside it) and its URL is
that site's. Then the sandbox's nginx can take the environment's media proxy rule: it is
written to ``<state>/nginx/media/<site>-{http,server}.conf`` (which nginx.conf includes),
checked with ``nginx -t`` and loaded with a reload; ``parity sandbox up`` keeps it.

    host = sandbox_host(settings.environment("staging"))   # None: not a sandbox site
    host.install_media_proxy("staging", rule)               # rule: parity.media.ProxyRule
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from parity.environments import EnvironmentSettings
from parity.sandbox.layout import SITES
from parity.sandbox.manager import Sandbox
from parity.sandbox.nginx import Nginx
from parity.sandbox.packages import find_tools

__all__ = ["SandboxHost", "sandbox_host"]


class _Rule(Protocol):
    @property
    def http(self) -> str: ...

    @property
    def server(self) -> str: ...


@dataclass(frozen=True)
class SandboxHost:
    """One site of one sandbox, as the web server of an environment's media proxy."""

    sandbox: Sandbox
    site: str

    def media_cache_dir(self, environment: str) -> str:
        """Where the sandbox's nginx keeps what the site's proxy fetched."""
        return str(self.sandbox.layout.nginx_media_cache(self.site))

    def install_media_proxy(self, environment: str, rule: _Rule | None) -> None:
        """Put ``rule`` into the site's nginx server (None: take it out), and reload."""
        nginx = Nginx(find_tools(), self.sandbox.layout, self.sandbox.ports)
        if rule is None:
            nginx.set_media_rule(self.site, None, None)
        else:
            nginx.set_media_rule(self.site, rule.http, rule.server)


def sandbox_host(env: EnvironmentSettings) -> SandboxHost | None:
    """The sandbox site that serves ``env``, or None."""
    if env.wp_content_dir is None:
        return None
    content = Path(env.wp_content_dir)
    site = content.parent.name
    state = content.parent.parent
    if content.name != "wp-content" or site not in SITES or not (state / "sandbox.json").is_file():
        return None
    sandbox = Sandbox(state)
    if sandbox.urls.get(site, "").rstrip("/") != env.url.rstrip("/"):
        return None
    return SandboxHost(sandbox, site)
