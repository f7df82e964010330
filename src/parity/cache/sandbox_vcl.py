"""The VCL the local sandbox runs: parity's default WordPress rules, rendered.

Both sandbox sites run Varnish on exactly what ``parity cache render varnish`` gives for
the default rules, so the sandbox demonstrates (and the integration tests check) the
shipped rules rather than a hand-written copy of them. The rendered VCL keeps the
sandbox's contract: ``X-Cache: HIT | MISS | PASS``, ``X-Cache-Rule``, Varnish's ``Age``,
and ``PURGE`` from localhost dropping one Host + URL.

    text = sandbox_vcl("production", backend_port=8401, public_port=8081)
"""

from __future__ import annotations

from parity.cache.defaults import default_ruleset
from parity.cache.render_varnish import render_varnish
from parity.cache.rules import RuleSet

__all__ = ["SANDBOX_BACKEND_HOST", "sandbox_vcl"]

#: The sandbox's nginx listens on localhost only.
SANDBOX_BACKEND_HOST = "127.0.0.1"


def sandbox_vcl(
    site: str, backend_port: int, public_port: int, ruleset: RuleSet | None = None
) -> str:
    """VCL for one sandbox site: ``ruleset`` (default: the default rules) in front of its nginx.

    ``backend_port`` is the site's nginx on 127.0.0.1, ``public_port`` the port Varnish
    listens on (named in the header comment only: Varnish takes it from ``-a``).

    >>> "X-Cache-Rule" in sandbox_vcl("staging", 8402, 8082)
    True
    """
    rules = ruleset if ruleset is not None else default_ruleset()
    body = render_varnish(rules, backend_host=SANDBOX_BACKEND_HOST, backend_port=backend_port)
    # A VCL file must start with its version line; the sandbox's own note goes after it.
    version, _, rest = body.partition("\n")
    note = (
        f"# parity sandbox, site {site} (Varnish on 127.0.0.1:{public_port}, nginx on"
        f" {SANDBOX_BACKEND_HOST}:{backend_port}).\n"
        "# Written by `parity sandbox up` from parity's default cache rules;"
        " `parity sandbox up --vcl FILE` runs production on your own.\n"
    )
    return f"{version}\n{note}{rest}"
