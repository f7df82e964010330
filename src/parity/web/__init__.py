"""The web shell of parity: ``create_app(settings)`` builds the FastAPI service that
``parity serve`` runs under uvicorn (dashboard, JSON API, Prometheus metrics)."""

from parity.web.app import create_app

__all__ = ["create_app"]
