"""Fixtures for end-to-end tests: the same app settings and store as the GUI tests.

The fake Writer server (``server``, ``fake``) and a private X server (``display``) come from
``tests/conftest.py``.
"""

from tests.gui.conftest import app, store

__all__ = ["app", "store"]
