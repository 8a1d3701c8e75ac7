"""Domain errors: the CLI turns each into one readable paragraph and exit code 2."""


class HealmeError(Exception):
    """A user-facing problem (bad input, missing setup); never shown with a traceback."""


class ConfigError(HealmeError):
    """A pipeline file, template or seed file is wrong."""


class SetupError(HealmeError):
    """Something the run needs is not installed or not reachable."""
