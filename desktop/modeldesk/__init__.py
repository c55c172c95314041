"""ModelDesk: decide which LLM model each agent uses, and keep agents running when a model fails."""

__version__ = "0.1.0"
