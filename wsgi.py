"""The WSGI entry point for gunicorn and `flask`: builds the app and does nothing else."""

from feedback import create_app

app = create_app()
