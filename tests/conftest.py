"""Every test runs `notes lint` in its own process, as with NOTES_LINT_SERVER=0: a resident lint process
(lint/server.py) started by one test would answer the next, and outlive the run. tests/lint/test_lint_server.py
turns it on for its own runs, each in a runtime folder of its own."""

import os

os.environ["NOTES_LINT_SERVER"] = "0"
