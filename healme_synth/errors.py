"""Domain errors: the CLI turns each into one readable paragraph and exit code 2."""


class HealmeError(Exception):
    """A user-facing problem (bad input, missing setup); never shown with a traceback."""


class ConfigError(HealmeError):
    """A pipeline file, template or seed file is wrong."""


class SetupError(HealmeError):
    """Something the run needs is not installed or not reachable."""


class RunDirError(HealmeError):
    """A directory cannot take this command's output: it holds other files, it is in use by
    another command, or it is the command's own input."""
