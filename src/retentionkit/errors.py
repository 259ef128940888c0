"""One exception tree for retentionkit.

Every error a *user* can cause derives from :class:`RetentionkitError` and carries one clear
sentence. The CLI prints that sentence and exits with :attr:`RetentionkitError.exit_code`
(never a traceback unless ``--debug``); the web API maps :attr:`http_status`.

::

    RetentionkitError                 (exit 1)
    ├── InputError                    (exit 2, HTTP 422)  bad file, row, column or value
    │   └── MissingFileError          (exit 2, HTTP 422)  file not found / unreadable
    ├── ConfigError                   (exit 2, HTTP 422)  bad retentionkit.toml or option
    ├── UnknownNameError              (exit 2, HTTP 422)  unknown name; lists the valid ones
    │   └── NotFoundError             (exit 2, HTTP 404)  a stored item (a goal) that is not there
    ├── MissingTableError             (exit 3, HTTP 409)  a table that must be ingested first
    ├── NotFittedError                (exit 4, HTTP 409)  predict before fit
    ├── ModelFitError                 (exit 5, HTTP 422)  non-convergence or a degenerate fit
    ├── AuthError                     (exit 6, HTTP 401)  missing or wrong API key
    ├── WorkspaceLockedError          (exit 7, HTTP 423)  another process holds the workspace
    └── DatabaseUnavailableError      (exit 8, HTTP 503)  a database URL that does not connect
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "ConfigError",
    "DatabaseUnavailableError",
    "InputError",
    "MissingFileError",
    "MissingTableError",
    "ModelFitError",
    "NotFittedError",
    "NotFoundError",
    "RetentionkitError",
    "UnknownNameError",
    "WorkspaceLockedError",
    "first_line",
]


def first_line(exc: BaseException) -> str:
    """The first line of a library's exception text (its class name when it has none): the
    part worth quoting inside one of our sentences."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class RetentionkitError(Exception):
    """Base of every error a user can cause; the message is one clear sentence."""

    exit_code: int = 1
    http_status: int = 400


class InputError(RetentionkitError):
    """Bad user input: names the file, the line, the column, the value and what was expected."""

    exit_code = 2
    http_status = 422


class MissingFileError(InputError):
    """A file that does not exist or cannot be read."""


class ConfigError(RetentionkitError):
    """A bad configuration value or command option."""

    exit_code = 2
    http_status = 422


class UnknownNameError(RetentionkitError):
    """An unknown metric, model, segment scheme …; the message lists the valid names."""

    exit_code = 2
    http_status = 422


class NotFoundError(UnknownNameError):
    """A stored item (a goal …) asked for by a name that does not exist; lists the valid ones."""

    http_status = 404


class MissingTableError(RetentionkitError):
    """A computation needs a table that has not been ingested yet."""

    exit_code = 3
    http_status = 409


class NotFittedError(RetentionkitError):
    """A model was asked to predict before it was fitted."""

    exit_code = 4
    http_status = 409


class ModelFitError(RetentionkitError):
    """A model did not converge or gave a degenerate fit; the message says what to try."""

    exit_code = 5
    http_status = 422


class AuthError(RetentionkitError):
    """A missing or wrong API key."""

    exit_code = 6
    http_status = 401


class WorkspaceLockedError(RetentionkitError):
    """Another process holds the embedded workspace file (DuckDB allows one writer process);
    the message names it (pid and command line). ``detail`` keeps the driver's own text."""

    exit_code = 7
    http_status = 423

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class DatabaseUnavailableError(RetentionkitError):
    """A database URL that cannot be used: unreachable server, wrong credentials, missing
    database. The message names the URL without its password and says what to do."""

    exit_code = 8
    http_status = 503
