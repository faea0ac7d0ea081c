"""Serve the gateway: `python -m connectors [--host 127.0.0.1] [--port 8000]` (started by `trolyso up`)."""

from __future__ import annotations

import argparse

import uvicorn

from bot.app import App
from connectors.config import GatewayConfig
from connectors.gateway import configure_logging, create_app


def main() -> None:
    app = App()
    config = GatewayConfig.from_settings(app.settings)
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--host", default=config.host)
    ap.add_argument("--port", type=int, default=config.port)
    args = ap.parse_args()
    configure_logging()
    uvicorn.run(
        create_app(app, config),
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,  # the client's address is the gateway's to judge (TROLYSO_TRUSTED_PROXIES)
        timeout_graceful_shutdown=30,
    )


if __name__ == "__main__":
    main()
