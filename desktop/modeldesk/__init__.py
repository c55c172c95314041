"""ModelDesk: decide which LLM model each agent uses, and keep agents running when a model fails."""

import os

__version__ = "0.1.0"

# ModelDesk uses no pydantic plugins. Looking for them scans every installed package's
# entry points the first time a model class is built (~0.1 s of each start); a user who
# sets the variable keeps their choice.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
