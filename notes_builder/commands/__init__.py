"""What every command shares: the PATH argument and the turning of library errors into messages and exit codes."""

from __future__ import annotations

import contextlib
import errno
import functools
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import click

from notes_builder.errors import NotesError, OutputError
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
        except OSError as error:  # a folder made read-only inside the output (the work folder, say)
            if error.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise
            reason = "read-only file system" if error.errno == errno.EROFS else "permission denied"
            print_error(OutputError(f"cannot write {error.filename}: {reason}",
                                    hint="make it writable, or choose another output folder with --out DIR"))
            sys.exit(OutputError.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper


@contextlib.contextmanager
def terminated_as_interrupted() -> Iterator[None]:
    """SIGTERM and SIGHUP (a process manager, a closed terminal) end the command as Ctrl-C does: through its
    cleanup (a build's LaTeX stopped, the files it had begun to rewrite put back), then "interrupted"."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = {signum: signal.signal(signum, interrupt) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
