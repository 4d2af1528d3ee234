"""The project's exception hierarchy.

`UserError` (and its subclasses) means the input was wrong: the CLI prints its message on one
line and exits 2. Anything else reaching the CLI is a bug: exit 1 with a hint to use --debug.
"""


class TinyflashError(Exception):
    """Base class of every error tinyflash raises on purpose."""


class UserError(TinyflashError):
    """Bad input from the user: a missing or malformed file, a bad flag or config value."""


class DataError(UserError):
    """A data set file is missing, malformed or inconsistent."""


class ConfigError(UserError):
    """A configuration value or preset is invalid."""
