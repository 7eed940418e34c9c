"""The dashboard and the HTTP API (FastAPI): pages, JSON routes, sign-in and access roles."""
