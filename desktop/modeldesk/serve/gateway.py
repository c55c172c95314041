"""One request through the gateway: pick the agent, run its chain, answer in the client's
API shape.

The run is :func:`modeldesk.runtime.run_agent` on the request's whole conversation, so
retries, fallback, cooldowns, budgets and rehearsed faults behave exactly as for
`modeldesk run`. Its events arrive on a queue; this module turns them into the response:

- Nothing is sent before the answering model's first content (a text or tool-call
  delta): failures before it are invisible, and the status line and headers (with
  ``x-modeldesk-model`` / ``x-modeldesk-agent``) name the model that produced it.
- If every model fails before any content, the client gets an HTTP error in its API's
  shape: 429 when every failure was a rate limit or quota, 400 when the upstream refused
  the request itself, 503 when no model could be tried, else 502.
- After content, a broken stream ends with an error event in the API's shape (unless
  the agent's ``on_stream_break`` is ``continue``, which the runner carries out).
- A client that goes away cancels the run; so does the gateway stopping, after an error
  event to each open stream.

Each request is one run in the history (recorded from a worker thread, so SQLite never
holds the event loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from modeldesk.core.errors import ModelDeskError
from modeldesk.core.history import HistoryStore, HistoryWriter, RunRecord, record_or_warn
from modeldesk.runtime.attempt_log import AttemptLog
from modeldesk.runtime.conversation import Api, Conversation
from modeldesk.runtime.events import Answered, AttemptStarted, RunEvent, TextDelta, ToolCallDelta
from modeldesk.runtime.history_record import run_record
from modeldesk.runtime.providers import new_client
from modeldesk.runtime.runner import RunResult, run_agent
from modeldesk.runtime.secrets import EnvKeyringSecrets, SecretSource

from .live_config import LiveConfig, Snapshot
from .wire import JSON_HEADERS, SSE_HEADERS, STREAMS, Answer, CallParts, dumps, error_body, whole_answer

log = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]

# The provider pool: enough connections for hundreds of concurrent streams, and few idle
# ones kept, since httpcore walks every pooled connection for each request.
POOL_LIMITS = httpx.Limits(max_connections=2000, max_keepalive_connections=64, keepalive_expiry=30)
# The pool's own connect timeout; each run's requests carry their agent's instead.
CONNECT_TIMEOUT_S = 10.0
# Event kinds the queue carries besides run events.
_DONE = "done"
_GONE = "gone"  # the client disconnected
_STOPPING = "stopping"  # the gateway is shutting down

RATE_CLASSES = frozenset({"rate_limit", "quota"})
REFUSED_CODES = frozenset({"invalid_request", "content_policy", "refusal", "context_overflow"})
UNTRIED_CODES = frozenset({"no_usable_model", "no_key", "budget_exceeded"})
# Refused requests waiting for the history writer, at most (a flood of bad requests must
# not queue writes without end).
MAX_UNWRITTEN_REFUSALS = 256


class GatewayError(Exception):
    """A request the gateway answers with an error before running anything. ``model`` is
    the name the client asked for, when known; ``recorded``: the history has it already."""

    def __init__(
        self, status: int, code: str, message: str, *, model: str | None = None, recorded: bool = False
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.model = model
        self.recorded = recorded


def route(snapshot: Snapshot, model: str) -> str:
    """The agent id serving ``model``: an agent of that id, else the first alias (name or
    glob) that matches, in the order the settings list them."""
    if snapshot.config.find("agents", model) is not None:
        return model
    for pattern, agent_id in snapshot.config.settings.serve.aliases.items():
        if pattern == model or fnmatch.fnmatchcase(model, pattern):
            if snapshot.config.find("agents", agent_id) is None:
                raise GatewayError(
                    404,
                    "model_not_found",
                    f"The alias '{pattern}' in settings.serve.aliases names the agent '{agent_id}', "
                    "which does not exist (agents are set in the ModelDesk app or with `modeldesk agents`).",
                    model=model,
                )
            return agent_id
    raise GatewayError(
        404,
        "model_not_found",
        f"The model '{model[:200]}' is not served here. The gateway serves each agent by its id "
        "(agents are set in the ModelDesk app or with `modeldesk agents`) and the names in "
        "settings.serve.aliases (`modeldesk settings`, or the config file).",
        model=model,
    )


def failure_status(result: RunResult) -> int:
    """The HTTP status of a run that ended before any content was sent."""
    assert result.error is not None
    code = result.error.get("code", "")
    failed = [a for a in result.attempts if a.outcome == "failed"]
    if code in REFUSED_CODES:
        return 400
    if failed and all(a.error_class in RATE_CLASSES for a in failed):
        return 429
    if failed and all(a.error_class == "context_overflow" for a in failed):
        return 400
    if not failed:
        return 503
    return 502


def failure_message(result: RunResult) -> str:
    assert result.error is not None
    tried = [a for a in result.attempts if a.outcome in ("failed", "skipped")]
    detail = "; ".join(f"{a.model}: {a.error or a.outcome}" for a in tried[:12])
    message = result.error.get("message", "the request failed")
    return f"{message} Attempts: {detail}." if detail else message


class Gateway:
    """What every request shares: the config, one provider connection pool, the history
    writer and the open exchanges (to end them when the gateway stops)."""

    def __init__(
        self,
        live: LiveConfig,
        *,
        history: HistoryStore | None = None,
        secrets: SecretSource | None = None,
    ) -> None:
        self.live = live
        self.history = history or HistoryStore()
        self.secrets = secrets or EnvKeyringSecrets()
        self.client: httpx.AsyncClient | None = None
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="modeldesk-history")
        self._recorder = HistoryWriter(self.history)  # one connection, for the writer thread only
        self._open: set[Exchange] = set()
        self._refusal_slots = threading.BoundedSemaphore(MAX_UNWRITTEN_REFUSALS)
        self.stopping = False

    def http_client(self) -> httpx.AsyncClient:
        if self.client is None:
            self.client = new_client(CONNECT_TIMEOUT_S, limits=POOL_LIMITS)
        return self.client

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()
        self._writer.shutdown(wait=True)
        self._recorder.close()

    def stop_open_exchanges(self) -> None:
        """Every open request ends now: streams with an error event, others with a 503."""
        self.stopping = True
        for exchange in list(self._open):
            exchange.interrupt(_STOPPING)

    @property
    def open_count(self) -> int:
        return len(self._open)

    def record(self, result: RunResult, **fields: Any) -> None:
        """The run in the history and its line in the log, both made on the writer thread:
        building the record and the log's file handler cost more per request than the
        gateway's own work, and the loop has the next request to serve. Handed over on the
        loop's next turn, after the response's last bytes (still corked) have left."""
        asyncio.get_running_loop().call_soon(self._write, lambda: self._run_record(result, fields))

    @staticmethod
    def _run_record(result: RunResult, fields: dict[str, Any]) -> RunRecord:
        tried = ", ".join(f"{a.model} {a.outcome}" for a in result.attempts)
        if result.ok:
            log.info("%s answered by %s in %.2f s (%s)", fields.get("agent"), result.model, result.elapsed_s, tried)
        else:
            code = result.error.get("code") if result.error else "failed"
            log.info("%s failed (%s) after %.2f s (%s)", fields.get("agent"), code, result.elapsed_s, tried)
        return run_record(result, origin="serve", **fields)

    def record_refusal(self, refusal: GatewayError, *, client: str | None, started_at: float, latency_ms: int) -> None:
        """A request refused before any agent ran, as a history run marked refused: the
        reason and the client's User-Agent, never the token or the body. Under a flood of
        refusals the history is not kept waiting: past a bound of unwritten ones, the rest
        go to the log only."""
        log.info("refused a request for %r: %s (%s)", refusal.model or "", refusal.code, refusal.status)
        if not self._refusal_slots.acquire(blocking=False):
            return
        record = RunRecord(
            agent=refusal.model or "",
            models=[],
            error_code=refusal.code,
            error_message=refusal.message,
            config_path=str(self.live.path.absolute()),
            latency_ms=latency_ms,
            origin="serve",
            client=client,
            started_at=started_at,
            refused=True,
        )
        if not self._write(lambda: record, done=self._refusal_slots.release):
            self._refusal_slots.release()

    def _write(self, make: Callable[[], RunRecord], done: Callable[[], object] | None = None) -> bool:
        """Record ``make()`` from the writer thread (SQLite never holds the loop); False
        once the gateway stops."""
        store = self._recorder

        def write() -> None:
            try:
                warning = record_or_warn(store, make())
                if warning:
                    log.warning("%s", warning)
            except Exception:  # nobody waits on this thread: the log is where a fault shows
                log.exception("a run could not be recorded in the history")
            finally:
                if done is not None:
                    done()

        try:
            self._writer.submit(write)
        except RuntimeError:  # the writer is shut down: the gateway stops
            return False
        return True

    async def handle(
        self, api: Api, conversation: Conversation, model: str, client: str | None, send: Send, receive: Receive
    ) -> None:
        snapshot = await self.live.current()
        agent_id = route(snapshot, model)
        exchange = Exchange(self, snapshot, api, conversation, model, agent_id, client, send, receive)
        self._open.add(exchange)
        try:
            await exchange.run()
        finally:
            self._open.discard(exchange)


@dataclass
class _Progress:
    """What the client has been sent so far."""

    started: bool = False  # the status line and headers
    content: bool = False


class Exchange:
    def __init__(
        self,
        gateway: Gateway,
        snapshot: Snapshot,
        api: Api,
        conversation: Conversation,
        model: str,
        agent_id: str,
        client: str | None,
        send: Send,
        receive: Receive,
    ) -> None:
        self.gateway = gateway
        self.snapshot = snapshot
        self.api = api
        self.conversation = conversation
        self.model = model
        self.agent_id = agent_id
        self.client = client
        self.send = send
        self.receive = receive
        self.queue: asyncio.Queue[RunEvent | str] = asyncio.Queue()
        self.sent = _Progress()
        self.task: asyncio.Task[RunResult] | None = None
        # Attempts seen in events: the record of a run that was cancelled midway.
        self.attempt_log = AttemptLog()

    def interrupt(self, why: str) -> None:
        self.queue.put_nowait(why)

    async def _watch(self) -> None:
        """Wait for the client to go away (the body is already read)."""
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                self.interrupt(_GONE)
                return

    async def run(self) -> None:
        snapshot = self.snapshot
        conversation = self.conversation
        started_at = time.time()
        try:
            resolution = snapshot.resolver.chat(self.agent_id)
        except ModelDeskError as exc:
            # Still a request for the agent: the history shows why nothing was run.
            self.gateway.record(
                RunResult(error={"code": exc.code, "message": exc.message}),
                agent=self.agent_id,
                models=[],
                source=None,
                config_path=str(self.gateway.live.path),
                prompt=conversation.last_user_text() or None,
                started_at=started_at,
                client=self.client,
            )
            raise GatewayError(503, exc.code, exc.message, model=self.model, recorded=True) from None
        self.task = asyncio.create_task(
            run_agent(
                snapshot.config,
                self.agent_id,
                "",
                models=resolution.models,
                stream=conversation.stream,
                on_event=self.queue.put_nowait,
                cooldowns=snapshot.cooldowns,
                secrets=self.gateway.secrets,
                needs=conversation.needs(),
                policy=snapshot.policy,
                client=self.gateway.http_client(),
                conversation=conversation,
                withdrawable=not conversation.stream,
            )
        )
        self.task.add_done_callback(lambda _task: self.queue.put_nowait(_DONE))
        watcher = asyncio.create_task(self._watch())
        result: RunResult | None = None
        try:
            if conversation.stream:
                result = await self._stream()
            else:
                result = await self._whole()
        finally:
            watcher.cancel()
            if not self.task.done():
                self.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self.task
            if result is None:
                result = self._task_result()
            self.gateway.record(
                result,
                agent=self.agent_id,
                models=resolution.models,
                source=resolution.source,
                config_path=str(self.gateway.live.path),
                prompt=conversation.last_user_text() or None,
                started_at=started_at,
                client=self.client,
            )

    def _task_result(self) -> RunResult:
        task = self.task
        if task is not None and task.done() and not task.cancelled():
            error = task.exception()
            if error is None:
                return task.result()
            # A fault of the gateway itself: said as such, never as the client's doing.
            log.error("the run for %s failed inside the gateway", self.agent_id, exc_info=error)
            return RunResult(
                attempts=self.attempt_log.attempts,
                error={
                    "code": "internal_error",
                    "message": f"The gateway failed to run the request ({type(error).__name__}).",
                },
            )
        return RunResult(
            attempts=self.attempt_log.attempts,
            elapsed_s=0.0,
            error={"code": "cancelled", "message": "the client went away or the gateway stopped"},
        )

    async def _start(self, status: int, headers: list[tuple[bytes, bytes]], model: str | None) -> None:
        extra = [(b"x-modeldesk-agent", self.agent_id.encode())]
        if model is not None:
            extra.append((b"x-modeldesk-model", model.encode()))
        await self.send({"type": "http.response.start", "status": status, "headers": headers + extra})
        self.sent.started = True

    async def _error(self, status: int, code: str, message: str) -> None:
        body = dumps(error_body(self.api, status, code, message))
        await self._start(status, [*JSON_HEADERS, (b"content-length", str(len(body)).encode())], None)
        await self.send({"type": "http.response.body", "body": body})

    async def _fail(self, result: RunResult) -> None:
        assert result.error is not None
        await self._error(failure_status(result), result.error.get("code", "failed"), failure_message(result))

    async def _whole(self) -> RunResult | None:
        calls: dict[int, CallParts] = {}
        answered: Answered | None = None
        while True:
            item = await self.queue.get()
            if isinstance(item, str):
                if item == _DONE:
                    break
                if item == _STOPPING:
                    await self._error(503, "gateway_stopping", "The gateway is stopping; send the request again.")
                return None  # the client is gone
            self.attempt_log.note(item)
            if isinstance(item, AttemptStarted):
                calls = {}
            elif isinstance(item, ToolCallDelta):
                call = calls.setdefault(item.index, CallParts(item.call_id or f"call_{item.index}", item.name or ""))
                call.arguments.append(item.arguments)
            elif isinstance(item, Answered):
                answered = item
        result = self._task_result()
        if not result.ok:
            await self._fail(result)
            return result
        answer = Answer(result.text, [calls[i] for i in sorted(calls)], result.stop_reason, result.usage)
        body = dumps(whole_answer(self.api, answer, self.model))
        model = result.model or (answered.model if answered else None)
        await self._start(200, [*JSON_HEADERS, (b"content-length", str(len(body)).encode())], model)
        await self.send({"type": "http.response.body", "body": body})
        return result

    async def _stream(self) -> RunResult | None:
        raw = self.conversation.raw or {}
        options = raw.get("stream_options")
        include_usage = self.api != "chat" or (isinstance(options, dict) and bool(options.get("include_usage")))
        renderer = STREAMS[self.api](self.model, include_usage)
        answered: Answered | None = None
        send = self.send
        while True:
            item = await self.queue.get()
            out = bytearray()
            done = False
            # Take everything already queued: one write for a burst of small deltas.
            while True:
                if isinstance(item, str):
                    if item == _DONE:
                        done = True
                        break
                    if item == _STOPPING:
                        message = "The gateway is stopping; the answer ends here."
                        if self.sent.started:
                            await send({"type": "http.response.body", "body": bytes(out), "more_body": True})
                            await send(
                                {
                                    "type": "http.response.body",
                                    "body": renderer.error(503, "gateway_stopping", message),
                                }
                            )
                        else:
                            await self._error(503, "gateway_stopping", message)
                    return None
                self.attempt_log.note(item)
                if isinstance(item, TextDelta | ToolCallDelta):
                    if not self.sent.started:
                        await self._start(200, SSE_HEADERS, item.model)
                        out += renderer.start()
                    if isinstance(item, TextDelta):
                        out += renderer.text(item.text)
                    else:
                        out += renderer.tool(item.index, item.call_id, item.name, item.arguments)
                elif isinstance(item, Answered):
                    answered = item
                try:
                    item = self.queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
            if done:
                break
            if out:
                await send({"type": "http.response.body", "body": bytes(out), "more_body": True})
        result = self._task_result()
        if not self.sent.started:
            if not result.ok:
                await self._fail(result)
                return result
            # An answer with no content at all (allow_empty_answer).
            await self._start(200, SSE_HEADERS, result.model)
            out += renderer.start()
        if result.ok:
            usage = result.usage if result.usage is not None else (answered.usage if answered else None)
            out += renderer.finish(result.stop_reason, usage)
        else:
            assert result.error is not None
            out += renderer.error(502, result.error.get("code", "failed"), failure_message(result))
        await send({"type": "http.response.body", "body": bytes(out)})
        return result
