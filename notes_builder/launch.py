"""The `notes` command's entry point: `notes lint` goes to a resident lint process where one answers
(lint/server.py), everything else (and a lint none answers) to the click command line (cli.py). Imports only what
the resident process's client needs before it knows whether click is needed at all."""

from __future__ import annotations

import sys


def main() -> None:
    from notes_builder.lint import server

    resident = server.usable(sys.argv)
    if resident and (code := server.answer(sys.argv)) is not None:
        sys.exit(code)
    from notes_builder.cli import main as run

    try:
        run()
    finally:
        if resident:
            server.start()  # for the next `notes lint` of this setting


if __name__ == "__main__":
    main()
