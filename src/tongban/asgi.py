"""ASGI entry point for process managers (uvicorn/gunicorn workers): `tongban.asgi:app`."""

from tongban.app import create_app

app = create_app()
