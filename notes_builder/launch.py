"""The `notes` command's entry point: `notes lint` goes to a resident lint process where one answers
(lint/server.py), everything else (and a lint none answers) to the click command line (cli.py). Imports only what
the resident process's client needs before it knows whether click is needed at all."""

from __future__ import annotations

import sys


def main() -> None:
    from notes_builder.lint import server

    outcome = server.answer(sys.argv) if server.usable(sys.argv) else "declined"
    if isinstance(outcome, int):
        sys.exit(outcome)
    from notes_builder.cli import main as run

    try:
        run()
    finally:
        if outcome in ("absent", "stale"):
            server.start()  # for the next `notes lint` of this setting


if __name__ == "__main__":
    main()
