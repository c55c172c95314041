"""The PySide6 desktop app: thin views over the core, network work on qasync."""
