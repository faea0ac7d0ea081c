"""Serve the actions: `python -m actions [--host 127.0.0.1] [--port 5055]`.

rasa-sdk's own `python -m rasa_sdk` binds every interface and starts Sanic's multi-process worker manager,
which loads the answer engine twice and fails once torch has chosen the 'fork' start method. This runs the
same rasa-sdk application (`rasa_sdk.endpoint.create_app`) in one process on the loopback interface.
"""

from __future__ import annotations

import argparse
import logging

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor

from actions import metrics
from bot import logs
from bot.config import Settings


def configure_logging() -> None:
    """Text lines on stderr (<data dir>/logs/actions.log under `trolyso up`), masked like every process's logs."""
    logs.configure_logging(logging.INFO)


def main() -> None:
    settings = Settings.from_env()
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--host", default=settings.internal_host)
    ap.add_argument("--port", type=int, default=settings.actions_port)
    ap.add_argument(
        "--metrics-port", type=int, default=settings.actions_metrics_port, help="Prometheus metrics port (0 = off)"
    )
    args = ap.parse_args()
    configure_logging()
    metrics.serve(args.host, args.metrics_port)
    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app(executor, cors_origins=None)
    app.run(host=args.host, port=args.port, single_process=True, access_log=False, motd=False)


if __name__ == "__main__":
    main()
