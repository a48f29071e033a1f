"""Routes, one module per resource; ``app.py`` includes each module's ``router``."""
