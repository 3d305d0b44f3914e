"""The coach dashboard (Starlette, server-rendered): see ``web/app.py``."""
