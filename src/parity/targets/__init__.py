"""How an environment is reached: its database, its site, its cache.

Only this package talks to drivers (mysqlclient, httpx); their errors become parity errors
here. Every write goes through :func:`parity.targets.guard.ensure_writable`, so an
environment marked ``protected = true`` is never written to, whatever the command.
"""

from parity.targets.database import Database
from parity.targets.guard import ensure_writable
from parity.targets.site import Site

__all__ = ["Database", "Site", "ensure_writable"]
