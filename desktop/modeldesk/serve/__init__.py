"""`modeldesk serve`: a local OpenAI- and Anthropic-compatible gateway that runs each
request on its agent's models (SPEC §6.1, docs/serve.md).

A layer beside the CLI and the app, over the runtime: it imports no Qt, and neither the
CLI nor the app imports it (the `modeldesk` program starts it, see
:mod:`modeldesk.serve.command`).
"""
