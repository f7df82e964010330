"""How every command chooses environments and routes, and the spellings kept for a while.

The convention (docs/getting-started.md, "Command-line conventions"; checked for every
registered command by tests/unit/test_cli_conventions.py):

- An environment a command reads or acts on is a positional argument, ``ENV`` (several:
  ``ENV...``; two compared: ``A B``). There is no ``--env`` option.
- A copy from one environment onto another names both: ``--from SOURCE --to TARGET``.
- Routes are always ``--route/-r PATH``, repeatable; never positional.
- ``-n`` means "how many" (an integer: samples, runs, articles) and nothing else; the
  other short flags are ``-f`` ``--format``, ``-o`` ``--out``, ``-y`` ``--yes``,
  ``-c`` ``--config``, ``-r`` ``--route``.

Older spellings (``--env NAME``, positional routes) still work as hidden aliases and
print a one-line deprecation note on stderr.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

from parity.cli.output import err_console
from parity.errors import InputError

__all__ = [
    "OLD_ROUTES_SETTINGS",
    "DeprecatedEnvOption",
    "RoutesOption",
    "deprecated",
    "environment_given",
    "routes_given",
]

#: ``--route/-r PATH``, repeatable (see the module doc).
RoutesOption = Annotated[
    list[str] | None,
    typer.Option("--route", "-r", help="A route (request path), e.g. /hello-world/; repeatable."),
]
#: The old ``--env NAME`` spelling, hidden: the environment is now the positional ENV.
DeprecatedEnvOption = Annotated[
    str | None,
    typer.Option("--env", "-e", hidden=True, help="Deprecated: give the environment as ENV."),
]
#: Context settings of a command that still takes routes the old way (positionally):
#: they arrive as ``ctx.args``, so the usage line shows only the new spelling.
OLD_ROUTES_SETTINGS = {"allow_extra_args": True}


def deprecated(old: str, new: str) -> None:
    """One line on stderr: ``old`` still works, ``new`` is how to say it now."""
    err_console.print(f"note: {old} is deprecated; use {new}", markup=False, soft_wrap=True)


def routes_given(
    option: Sequence[str] | None, positional: Sequence[str] | None, *, required: bool = True
) -> list[str]:
    """The routes of ``--route``, then any given the old way (positionally, with a note).

    >>> routes_given(["/a/"], None)
    ['/a/']
    """
    routes = list(option or [])
    if positional:
        deprecated("routes as arguments", " ".join(f"--route {r}" for r in positional))
        routes += positional
    if required and not routes:
        raise InputError("give at least one route: --route PATH (repeatable)")
    return routes


def environment_given(positional: str | None, option: str | None) -> str:
    """The environment: the positional ENV, or the old ``--env`` (with a note).

    >>> environment_given("staging", None)
    'staging'
    """
    if option is not None:
        deprecated(f"--env {option}", f"the environment as an argument ({option})")
        if positional is not None and positional != option:
            raise InputError(f"two environments given: {positional} and --env {option}")
        return option
    if positional is None:
        raise InputError("say which environment: give ENV (a name in parity.toml)")
    return positional
