"""The composition root: reads the settings, wires storage, the Telegram adapter (``bot/``) and
the dashboard (``web/``) together, and serves them. The only package that knows all of them;
``cli/`` calls it, and ``bot/`` and ``web/`` never import each other."""
