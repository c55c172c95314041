"""The Qt-free core: config schema, store, edits and the shared resolver.

Nothing under this package may import PySide6, shiboken6 or qasync; a test enforces it.
"""
