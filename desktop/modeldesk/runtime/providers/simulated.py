"""The ``simulated`` provider kind: answers in-process, with no network and no key.

It speaks the OpenAI wire format to :class:`~modeldesk.runtime.simulate.SimulatorTransport`,
which every run's client routes to for the host ``simulated.invalid``; so parsing, errors,
timeouts and faults all take the same path as for a real server. ``base_url`` is ignored.
"""

from __future__ import annotations

from ..simulate import SIMULATED_HOST
from .chat_types import RemoteModel
from .openai import OpenAIProvider


class SimulatedProvider(OpenAIProvider):
    @property
    def root(self) -> str:
        return f"http://{SIMULATED_HOST}/v1"

    def headers(self) -> dict[str, str]:
        headers = super().headers()
        headers.pop("authorization", None)  # nothing to authenticate against
        return headers

    def chat_url(self) -> str:
        return f"{self.root}/chat/completions"

    async def list_models(self) -> list[RemoteModel]:
        return []
