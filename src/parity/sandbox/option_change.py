"""Change one value inside a PHP-serialized option: the demo's "someone changed a plugin
setting on staging". Goes through the write guard like every parity write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from parity.environments import EnvironmentSettings
from parity.errors import InputError
from parity.targets.database import Database, quote_identifier
from parity.wordpress.phpvalue import PhpValue, php_serialize, php_unserialize

__all__ = ["OptionChange", "set_serialized_option_value"]


@dataclass(frozen=True)
class OptionChange:
    """What was changed: ``option[a][b]``, the value before and after, and the table."""

    key: str
    before: PhpValue
    after: PhpValue
    table: str


def set_serialized_option_value(
    env: EnvironmentSettings, option: str, path: Sequence[str], value: int | str
) -> OptionChange:
    """Set ``option[path...]`` to ``value`` in ``env``'s options table (one UPDATE).

    Raises InputError when the option or the path inside it does not exist, before any
    write; ProtectedEnvironment on a protected environment.
    """
    table = quote_identifier(env.table_prefix + "options")
    key = option + "".join(f"[{part}]" for part in path)
    with Database.connect(env) as db:
        raw = db.scalar(f"SELECT option_value FROM {table} WHERE option_name = %s", [option])
        if raw is None:
            raise InputError(f"{env.name} has no option {option}")
        decoded = php_unserialize(str(raw))
        holder: PhpValue = decoded
        for part in path[:-1]:
            holder = holder.get(part) if isinstance(holder, dict) else None
        if not isinstance(holder, dict) or path[-1] not in holder:
            raise InputError(f"{env.name}'s {option} has no {key}")
        before = holder[path[-1]]
        holder[path[-1]] = value
        db.execute(
            f"UPDATE {table} SET option_value = %s WHERE option_name = %s",
            [php_serialize(decoded), option],
            action=f"change the option {option}",
        )
    return OptionChange(key, before, value, table)
