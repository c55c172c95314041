"""Where LiteLLM lives for `./dev bench`: a virtualenv of its own, ``.venv-bench`` (made by
`./dev bench` from bench/litellm-requirements.txt), never the project's. LiteLLM's proxy extra
pins packages (rich) below what the project's code checks need, so installed next to
ModelDesk it would break `./dev check`. The bench runs LiteLLM in subprocesses from there:
its Router (bench/litellm_hop.py) and its proxy (`litellm --config`)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv-bench"
PYTHON = VENV / "bin" / "python"
PROXY = VENV / "bin" / "litellm"
MISSING = "LiteLLM's virtualenv .venv-bench is missing (`./dev bench` makes it)"
# LiteLLM fetches a price list from the internet at import unless told not to.
ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR"}


def available() -> bool:
    return PYTHON.is_file() and PROXY.is_file()
