"""The WSGI entry point for production: `gunicorn wsgi:app`."""
from helpline import create_app

app = create_app()
