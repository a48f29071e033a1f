"""The website chat: a FastAPI service, the embeddable widget, the rendered policy pages."""

from assistant.web.app import create_app

__all__ = ["create_app"]
