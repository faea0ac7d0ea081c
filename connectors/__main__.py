"""Serve the gateway: `python -m connectors [--host 127.0.0.1] [--port 8000]` (started by `trolyso up`)."""

from __future__ import annotations

import argparse
import os

import uvicorn

from connectors.config import GatewayConfig
from connectors.gateway import configure_logging, create_app
from connectors.worker import WorkerConfig


def main() -> None:
    config = GatewayConfig.from_env()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default=config.host)
    ap.add_argument("--port", type=int, default=config.port)
    args = ap.parse_args()
    configure_logging()
    worker = WorkerConfig(
        retry_base=float(os.environ.get("TROLYSO_RETRY_BASE", "1.0")),
        retry_max=float(os.environ.get("TROLYSO_RETRY_MAX", "60")),
    )
    uvicorn.run(
        create_app(config, worker_config=worker),
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=30,
    )


if __name__ == "__main__":
    main()
