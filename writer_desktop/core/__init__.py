"""The Qt-free core: API client, stream decoding, models, storage, settings, secrets, paths.

Nothing in this package may import Qt or ``writer_desktop.ui``; ``tests/unit/test_layering.py``
enforces it.
"""
