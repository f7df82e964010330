"""One convention for every registered command (docs/getting-started.md, "Command-line
conventions"): environments are positional, a copy is --from/--to, routes are
--route/-r, and each short flag means one thing (-n: how many).

The walk covers every command the app registers, including ones added later: a new
command that spells these another way fails here until it follows the convention.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main

from parity.cli.conventions import environment_given, routes_given
from parity.cli.main import app
from parity.errors import InputError

#: Every short flag, and the one long option it may stand for (None: any "how many").
SHORT_FLAGS: dict[str, str | None] = {
    "-n": None,
    "-f": "--format",
    "-o": "--out",
    "-y": "--yes",
    "-c": "--config",
    "-r": "--route",
    "-e": "--env",  # hidden and deprecated only (checked below)
}
#: Parameter names that hold an environment (or a sandbox site, which is one).
ENVIRONMENT_NAMES = {"env", "env2", "environment", "environments", "site", "a", "b"}


def _leaves(group: Any, prefix: str = "parity") -> list[tuple[str, Any]]:
    commands = getattr(group, "commands", None)
    if commands is None:
        return [(prefix, group)]
    found = [(prefix, group)] if group.params else []  # a group's own options count too
    for name, command in sorted(commands.items()):
        found += _leaves(command, f"{prefix} {name}")
    return found


COMMANDS = _leaves(typer.main.get_command(app))
IDS = [name for name, _ in COMMANDS]


def _options(command: Any) -> list[Any]:
    return [p for p in command.params if p.param_type_name == "option"]


def test_the_walk_finds_the_commands_that_choose_environments_and_routes() -> None:
    names = set(IDS)
    assert {"parity refresh", "parity measure time", "parity cache purge"} <= names
    assert {"parity change open", "parity content import", "parity rehearse"} <= names


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=IDS)
def test_short_flags_mean_one_thing_and_n_is_always_how_many(name: str, command: Any) -> None:
    for option in _options(command):
        for flag in option.opts + option.secondary_opts:
            if flag.startswith("--"):
                continue
            assert flag in SHORT_FLAGS, f"{name}: {flag} is not one of {sorted(SHORT_FLAGS)}"
            meaning = SHORT_FLAGS[flag]
            if meaning is None:
                assert option.type_descriptor.annotation is int, (
                    f"{name}: -n means how many (an integer), not {option.opts}"
                )
            else:
                assert meaning in option.opts, f"{name}: {flag} stands for {meaning} only"
            if flag == "-e":
                assert option.hidden, f"{name}: -e/--env is a deprecated alias, hidden"


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=IDS)
def test_an_environment_is_positional_never_a_visible_option(name: str, command: Any) -> None:
    for param in command.params:
        opts = getattr(param, "opts", [])
        if param.param_type_name == "option":
            if "--env" in opts or "--environment" in opts:
                assert param.hidden, f"{name}: the environment is ENV, not {opts}"
            elif param.name in ENVIRONMENT_NAMES:
                pytest.fail(f"{name}: {opts} names an environment: make it an argument")


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=IDS)
def test_a_pair_of_environments_for_a_copy_is_from_and_to(name: str, command: Any) -> None:
    names = {p.name: p for p in _options(command)}
    for role, flag in (("source", "--from"), ("target", "--to")):
        if role in names:
            assert flag in names[role].opts, f"{name}: the {role} of a copy is {flag}"
    for option in _options(command):
        if "--from" in option.opts or "--to" in option.opts:
            assert option.name in ("source", "target"), f"{name}: {option.opts}"


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=IDS)
def test_routes_are_the_repeatable_route_option(name: str, command: Any) -> None:
    for param in command.params:
        if "route" not in (param.name or ""):
            continue
        assert param.param_type_name == "option", f"{name}: routes are --route, not positional"
        assert param.opts == ["--route", "-r"] or set(param.opts) == {"--route", "-r"}, name
        assert param.multiple, f"{name}: --route is repeatable"


def test_the_copy_command_takes_from_and_to() -> None:
    refresh = dict(COMMANDS)["parity refresh"]
    flags = {flag for option in _options(refresh) for flag in option.opts}
    assert {"--from", "--to"} <= flags


def test_old_spellings_give_the_same_values() -> None:
    assert environment_given(None, "staging") == "staging"
    assert environment_given("staging", None) == "staging"
    assert routes_given(["/a/"], ["/b/"]) == ["/a/", "/b/"]
    with pytest.raises(InputError):
        environment_given("production", "staging")
    with pytest.raises(InputError):
        routes_given(None, None)


def test_positional_routes_still_work_with_a_one_line_deprecation_note(
    tmp_path: Path, run_parity: Any
) -> None:
    state = tmp_path / "sandbox"
    (state / "staging" / "wp-content").mkdir(parents=True)
    done = run_parity(
        "sandbox", "fault", "staging", "/old/", "--sleep-ms", "5", "--state-dir", str(state)
    )
    assert done.returncode == 0, done.stderr
    assert "staging /old/: sleeps 5 ms" in done.stdout
    notes = [line for line in done.stderr.splitlines() if "deprecated" in line]
    assert notes == ["note: routes as arguments is deprecated; use --route /old/"]
    new = run_parity(
        "sandbox", "fault", "staging", "-r", "/new/", "--sleep-ms", "7", "--state-dir", str(state)
    )
    assert new.returncode == 0 and "deprecated" not in new.stderr
    assert "staging /new/: sleeps 7 ms" in new.stdout


def test_env_option_still_works_with_a_note_and_moves_the_arguments_along(
    tmp_path: Path, run_parity: Any
) -> None:
    (tmp_path / "parity.toml").write_text(
        '[environments.staging]\nurl = "http://127.0.0.1:9"\ndb = "mysql://u:p@127.0.0.1:9/wp"\n',
        encoding="utf-8",
    )
    # The old `rehearse --env NAME MIGRATION`: the migration is read as the migration.
    done = run_parity("rehearse", "--env", "staging", "missing.sql")
    assert done.returncode == 2
    assert "note: --env staging is deprecated" in done.stderr
    assert "cannot read the migration missing.sql" in done.stderr
    unknown = run_parity("content", "similar", "nowhere")
    assert unknown.returncode == 2 and "nowhere" in unknown.stderr


CLI = Path(__file__).resolve().parents[2] / "src" / "parity" / "cli"


@pytest.mark.parametrize("path", sorted(CLI.glob("*.py")), ids=lambda p: p.name)
def test_no_command_rewrites_its_arguments(path: Path) -> None:
    text = path.read_text("utf-8")
    assert "_protected_args" not in text, f"{path.name} rewrites click's private arguments"
    assert "sys.argv[" not in text.replace("sys.argv[1:]", ""), f"{path.name} edits argv"
    assert "sys.argv =" not in text and "sys.argv.insert" not in text, path.name
