"""Run moto's server with Firebreak's extension applied.

    python emulator/server.py --host 127.0.0.1 --port 5000 [--exit-on-stdin-eof]

``MOTO_ACCOUNT_ID`` (optional, 12 digits) becomes the default account: the one a request uses when
it names no other through the ``x-moto-account-id`` header or STS AssumeRole credentials.

The server does not log a line per request unless ``FIREBREAK_EMULATOR_REQUEST_LOG=1``: werkzeug's
request log writes every request to stderr under one lock shared by the serving threads, which was a
fifth of the emulator's CPU in a storm (test/bench/storm.ts, sampled with py-spy). Warnings and errors
(a request that raised, a port in use) are still written.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import firebreak_moto  # noqa: E402


def _exit_at_stdin_eof() -> None:
    """Exit as soon as stdin closes: the parent (the Node harness) is gone, so must the server be."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="moto server with Firebreak's extension")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, required=True, help="TCP port to listen on")
    parser.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="exit when stdin reaches EOF (the parent process died or closed the pipe)",
    )
    args = parser.parse_args(argv)

    if args.exit_on_stdin_eof:
        threading.Thread(target=_exit_at_stdin_eof, name="stdin-watchdog", daemon=True).start()

    if os.environ.get("FIREBREAK_EMULATOR_REQUEST_LOG") != "1":
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    account_id = firebreak_moto.configure_default_account()
    firebreak_moto.apply_patches()

    from moto.server import main as moto_main

    sys.stderr.write(
        f"firebreak-emulator: default account {account_id}, "
        f"{len(firebreak_moto.PATCHES)} patches, http://{args.host}:{args.port}\n"
    )
    sys.stderr.flush()
    moto_main(["--host", args.host, "--port", str(args.port)])


if __name__ == "__main__":
    main()
