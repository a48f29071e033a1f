"""Serving the web app with uvicorn: its logs redacted, its timeouts set for a load balancer in front."""

from __future__ import annotations

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from assistant.core import Assistant
from assistant.running import announced
from assistant.settings import Settings
from assistant.web.app import create_app


def uvicorn_log_config() -> dict:
    """uvicorn's own logging set-up, with every handler redacting (access lines carry query strings)."""
    config = {
        key: value.copy() if isinstance(value, dict) else value for key, value in LOGGING_CONFIG.items()
    }
    config["filters"] = {"redact": {"()": "assistant.redaction.RedactingFilter"}}
    config["handlers"] = {
        name: {**handler, "filters": ["redact"]} for name, handler in LOGGING_CONFIG["handlers"].items()
    }
    # The service's own loggers (assistant.*) write through the same redacting handler.
    config["loggers"] = {**LOGGING_CONFIG["loggers"], "assistant": {"handlers": ["default"], "level": "INFO"}}
    return config


def serve(assistant: Assistant, settings: Settings) -> None:
    """Serve ``assistant`` on ``settings.host:port`` until interrupted, announced to the CLI meanwhile."""
    with announced(settings):
        uvicorn.run(
            create_app(assistant, settings),
            host=settings.host,
            port=settings.port,
            log_config=uvicorn_log_config(),
            proxy_headers=False,  # the app believes X-Forwarded-For from TRUSTED_PROXIES only, not loopback
            timeout_graceful_shutdown=10,
            # Longer than a load balancer's or a client pool's idle timeout (60 s is common): closing an idle
            # connection first races a request sent on it, which the client sees as a failed request.
            timeout_keep_alive=75,
        )
