"""What every command shares: the PATH argument and the turning of library errors into messages and exit codes."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from notes_builder.errors import NotesError
from notes_builder.report import print_error

NOTES_PATH = click.argument("path", required=False, type=click.Path(path_type=str))


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library exceptions into the user-facing message and the exception's exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except NotesError as error:
            print_error(error)
            sys.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper
