"""Where the index is and how long things last: ``--db``, ``$DEDUP_DB`` or a config file,
and the durations and defaults of a run."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dedup.engines.index.errors import ConfigProblem

DEFAULT_WINDOW = 72 * 3600.0
"""Seconds two stories may lie apart and still be matched: wire copies follow within hours
or a couple of days; the same event a week later is news again."""
DEFAULT_LOCK_TIMEOUT = 30.0
"""Seconds a run waits for another one that holds the index before giving up."""
DEFAULT_BATCH = 5000
"""Stories per committed transaction, judged together: a killed run loses at most one batch
of work. A batch is judged as a scan of it and the stored stories around it would be, and
the more stories it holds, the more turns of phrase it sees to be common (``COMMON_KEY``)
and leaves out of the rewrite decisions: 20,000 hard stories in date order were decided in
batches of 5,000 at twice the rate of batches of 1,000, for about a quarter more memory."""
ENV_VAR = "DEDUP_DB"

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 365 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdwy])\s*$", re.I)


def parse_duration(text: str) -> float:
    """Seconds in ``90s``, ``30m``, ``72h``, ``14d``, ``2w`` or ``1y`` (365 days); ``0`` alone
    means zero."""
    if text.strip() == "0":
        return 0.0
    found = _DURATION.match(text)
    if not found:
        raise ValueError(
            f"{text!r} is not a duration: use a number and a unit: s (seconds), m (minutes), "
            "h (hours), d (days), w (weeks) or y (years), e.g. 72h, 14d, 1y"
        )
    return float(found.group(1)) * _UNITS[found.group(2).lower()]


def _read_toml(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the one key we need is a plain string
        data: dict[str, Any] = {}
        for line in text.splitlines():
            found = re.match(r"""^\s*([A-Za-z_][\w-]*)\s*=\s*(["'])(.*)\2\s*(#.*)?$""", line)
            if found:
                data[found.group(1)] = found.group(3)
        return data
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigProblem(f"{path}: not valid TOML ({err})") from None


def config_paths(cwd: Path | None = None, environ: Mapping[str, str] | None = None) -> list[Path]:
    """Config files in the order they are consulted: ./.dedup.toml, then the user's."""
    env = os.environ if environ is None else environ
    base = Path(env.get("XDG_CONFIG_HOME") or Path(env.get("HOME") or Path.home()) / ".config")
    return [(cwd or Path.cwd()) / ".dedup.toml", base / "wire-dedup" / "config.toml"]


def resolve_location(
    option: str | None, environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> tuple[str, str]:
    """Where the index is, and what said so: ``--db``, then ``$DEDUP_DB``, then
    ``./.dedup.toml``, then ``~/.config/wire-dedup/config.toml`` (``db = "..."``). A relative
    path in a config file is taken from the file's own folder, so cron's working directory
    does not matter."""
    env = os.environ if environ is None else environ
    if option:
        return option, "--db"
    if env.get(ENV_VAR):
        return env[ENV_VAR], f"${ENV_VAR}"
    for path in config_paths(cwd, env):
        if not path.is_file():
            continue
        try:
            value = _read_toml(path).get("db")
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigProblem(f"{path}: cannot read it ({err})") from None
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise ConfigProblem(f"{path}: db must be a non-empty string")
        if not is_url(value) and not os.path.isabs(os.path.expanduser(value)):
            value = str(path.parent / value)
        return os.path.expanduser(value), str(path)
    raise ConfigProblem(
        f'no index given: use --db PATH, set {ENV_VAR}, or put db = "PATH" in ./.dedup.toml '
        "or ~/.config/wire-dedup/config.toml"
    )


def is_url(location: str) -> bool:
    """Whether a location names a Redis server rather than an SQLite file."""
    return location.startswith(("redis://", "rediss://"))
