"""ASGI entry point for process managers (uvicorn/gunicorn workers): `tongban.asgi:app`."""

from tongban.app import served_app

app = served_app()
