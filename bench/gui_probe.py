"""The GUI half of `./dev bench`: one figure per run, in a fresh process, on the real app
(offscreen), printing its samples as one JSON line at the end.

    python bench/gui_probe.py MODE CONFIG_PATH [ROUNDS]

Modes: ``start-app`` / ``start-bare`` (cold start to the first window painted and peak
RSS then, printed on a ``SHOWN`` line as soon as it is painted; then the agents table
painted with the loaded agents),
``edits`` (GUI-thread block per edit vs the idle heartbeat), ``stream`` (longest stall while
2,000 tokens stream into the test run panel vs the idle heartbeat), ``filter`` (per
keystroke in the agents filter vs a stock QSortFilterProxyModel), ``bulk`` (bulk change
of every agent, preview + apply, vs a plain JSON change + dump + fsync), ``pages`` (the
Settings, Squads and Health tabs: first open and later visits, in seconds, no baseline).

Everything goes through public entry points (``run_app``'s pieces, ``Document.perform``,
the agents page's filter line edit, the test run panel, the bulk dialog's controls) so the
probe keeps working while the insides change.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

START = time.perf_counter()
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "desktop"), str(ROOT)]


def peak_rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def emit(data: dict[str, Any]) -> None:
    if PROFILE is not None:
        import io
        import pstats

        out = io.StringIO()
        pstats.Stats(PROFILE, stream=out).sort_stats("cumulative").print_stats(
            int(os.environ.get("BENCH_PROFILE_ROWS", "30"))
        )
        print(out.getvalue(), file=sys.stderr)
    print("RESULT " + json.dumps(data), flush=True)


# BENCH_PROFILE=1: profile ModelDesk's side of the figure (not the baseline) and print the
# profile on stderr; `python bench/run.py --profile` shows it.
PROFILE: Any = None
if os.environ.get("BENCH_PROFILE"):
    import cProfile

    PROFILE = cProfile.Profile()


def profiled(action: Callable[[], object]) -> Callable[[], object]:
    if PROFILE is None:
        return action

    def run() -> object:
        PROFILE.enable()
        try:
            return action()
        finally:
            PROFILE.disable()

    return run


# --- start-up -------------------------------------------------------------------------


def on_first_paint(app: Any, widget: Any, then: Callable[[Any], None]) -> None:
    """Call ``then(widget)`` once ``widget`` has been painted: on the first turn of the
    event loop after its first paint event (so the whole frame that paint belongs to is
    done). ``widget`` is a widget, or a class: the first visible main window of that
    class. A class is watched through an application-wide filter only until the window
    gets its first event, then through a filter on the window alone: an application-wide
    filter hands every object that gets an event to Python, which costs a process full
    of widgets far more than it costs a bare window."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class Watch(QObject):
        def __init__(self) -> None:
            super().__init__(app)
            self.target = None if isinstance(widget, type) else widget

        def eventFilter(self, watched: Any, event: Any) -> bool:
            if self.target is None:
                if isinstance(watched, widget):
                    app.removeEventFilter(self)
                    self.target = watched
                    watched.installEventFilter(self)
                else:
                    return False
            # Installed on the target alone now (its Python wrapper may differ from the one
            # seen first, while its constructor ran).
            if event.type() == QEvent.Type.Paint and watched.isVisible():
                watched.removeEventFilter(self)
                QTimer.singleShot(0, lambda: then(watched))
            return False

    watch = Watch()
    if watch.target is None:
        app.installEventFilter(watch)
    else:
        watch.target.installEventFilter(watch)


def shown_line(window: Any) -> None:
    """The first figure: process start to the window shown and painted, and peak RSS."""
    shown = {"seconds": time.perf_counter() - START, "cpu_s": time.process_time(), "rss_mib": peak_rss_mib()}
    print("SHOWN " + json.dumps(shown), flush=True)


def start_bare() -> None:
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("bare")
    window.resize(1200, 800)

    def painted(window: Any) -> None:
        shown_line(window)
        # A bare window has nothing more to fill: its second figure is its first.
        emit({"seconds": time.perf_counter() - START, "rss_mib": peak_rss_mib(), "windows": 1})
        app.quit()

    on_first_paint(app, QMainWindow, painted)
    window.show()
    app.exec()


def start_app(config_path: str) -> None:
    """``run_app`` as the user starts it. SHOWN when the main window has painted its first
    frame; RESULT when its agents table has painted the loaded agents, then quit."""
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])

    def filled(window: Any) -> None:
        if PROFILE is not None:
            PROFILE.disable()
        rows = window.agents_page.proxy.rowCount()
        emit({"seconds": time.perf_counter() - START, "rss_mib": peak_rss_mib(), "agents_shown": rows})
        app.quit()

    def painted(window: Any) -> None:
        shown_line(window)

        def loaded() -> None:
            viewport = window.agents_page.table.viewport()
            on_first_paint(app, viewport, lambda _viewport: filled(window))
            viewport.update()

        if window.is_loaded:
            loaded()
        else:
            window.loaded.connect(loaded)

    from PySide6.QtWidgets import QMainWindow

    on_first_paint(app, QMainWindow, painted)
    if PROFILE is not None:
        PROFILE.enable()
    from modeldesk.app.application import run_app

    run_app(config_path)


# --- the app, open on a config -----------------------------------------------------------


class Opened:
    def __init__(self, config_path: str) -> None:
        from PySide6.QtWidgets import QApplication

        from modeldesk.app.application import make_application, preload_runtime, settle_heap
        from modeldesk.app.document import Document
        from modeldesk.app.main_window import MainWindow
        from modeldesk.core.store import ConfigStore

        self.app: QApplication = make_application(sys.argv[:1])
        store = ConfigStore(Path(config_path), policy_path=Path(config_path).with_name("no-policy.json"))
        self.document = Document(store, config=store.load())
        self.window = MainWindow(self.document)
        self.window.resize(1400, 900)
        self.window.show()
        settle_heap()  # as run_app does once the window is up
        preload_runtime().join()  # as run_app does just after; a user runs a while after start
        self.settle(1.0)

    def settle(self, seconds: float) -> None:
        run_loop(seconds)


def run_loop(seconds: float) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def in_event_loop(action: Callable[[], Any]) -> Any:
    """``action()``'s result, called from a running event loop, as a click in the app is (the
    document defers its save thread's start to the loop's next turns only inside one)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    result: list[Any] = []
    QTimer.singleShot(0, lambda: (result.append(action()), loop.quit()))
    loop.exec()
    return result[0]


class Heartbeat:
    """A 1 ms timer on the GUI thread; the longest gap between its ticks is the longest
    time the thread could not answer (what a user feels as a freeze)."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.ticks: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(1)
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def window(self, seconds: float, action: Callable[[], object] | None = None) -> float:
        """Run the event loop for ``seconds`` (starting ``action`` on its first turn); the
        longest gap between ticks, in seconds."""
        from PySide6.QtCore import QTimer

        self.ticks = [time.perf_counter()]
        self.timer.start()
        if action is not None:
            QTimer.singleShot(0, action)
        run_loop(seconds)
        self.timer.stop()
        self.ticks.append(time.perf_counter())
        return max(b - a for a, b in zip(self.ticks, self.ticks[1:], strict=False))


def edits(config_path: str, rounds: int) -> None:
    from modeldesk.core.edits import SetAgentModels

    opened = Opened(config_path)
    beat = Heartbeat()
    idle: list[float] = []
    blocks: list[float] = []
    for index in range(rounds):
        idle.append(beat.window(0.5))
        agent_id = f"agent{1 + 3 * index}"
        models = ("m5", "m6") if index % 2 else ("m6", "m5")
        blocks.append(
            beat.window(0.5, profiled(lambda a=agent_id, m=models: opened.document.perform(SetAgentModels(a, m))))
        )
    emit({"baseline": idle, "ours": blocks})


def stream(config_path: str, rounds: int) -> None:
    import asyncio

    import qasync
    from gateway_bench import upstream

    tokens = 2000
    # The scripted server in a process of its own, as a real provider is: in a thread of
    # this process it held the interpreter while it wrote the burst, and the GUI thread
    # waited up to a switch interval (5 ms) for it at a time.
    with upstream("tok " * tokens, tokens) as port:
        data = json.loads(Path(config_path).read_text())
        for provider in data["providers"]:  # every model answers from the scripted server
            provider["base_url"] = f"http://127.0.0.1:{port}" + ("/v1" if provider["kind"] == "openai" else "")
        local = Path(config_path).with_name("stream.json")
        local.write_text(json.dumps(data))
        opened = Opened(str(local))
        loop = qasync.QEventLoop(opened.app)
        asyncio.set_event_loop(loop)
        page = opened.window.agents_page
        panel = page.test_run
        agent_id = "agent1"
        page.select_agent(agent_id)
        panel.set_agent(agent_id)
        # As a user runs it: on the Test run tab, the answer streaming into view (a hidden
        # answer box is never laid out at its width, nor painted).
        page.tabs.setCurrentWidget(panel)
        opened.settle(0.3)
        panel.prompt_edit.setPlainText("Write a long answer")
        panel.stream_check.setChecked(True)
        beat = Heartbeat()
        # The GUI thread's own CPU time at each tick: how much of the longest gap was the
        # app's work, and how much the thread waited (for a CPU, for the interpreter).
        cpu: list[float] = []
        beat.timer.timeout.connect(lambda: cpu.append(time.thread_time()))
        idle: list[float] = []
        stalls: list[float] = []
        own_work: list[float] = []
        durations: list[float] = []

        async def measure() -> None:
            for _ in range(rounds):
                idle.append(await idle_window(beat, 1.0))
                beat.ticks = [time.perf_counter()]
                cpu[:] = [time.thread_time()]
                beat.timer.start()
                started = time.perf_counter()
                if PROFILE is not None:
                    PROFILE.enable()
                task = panel.start_run()
                assert task is not None, "the test run did not start"
                result = await task
                assert result.model is not None, result.error
                await asyncio.sleep(0.05)  # what the panel shows after the last chunk
                if PROFILE is not None:
                    PROFILE.disable()
                beat.timer.stop()
                durations.append(time.perf_counter() - started)
                beat.ticks.append(time.perf_counter())
                cpu.append(time.thread_time())
                gaps = [b - a for a, b in zip(beat.ticks, beat.ticks[1:], strict=False)]
                longest = gaps.index(max(gaps))
                stalls.append(gaps[longest])
                own_work.append(cpu[longest + 1] - cpu[longest])

        with loop:
            loop.run_until_complete(measure())
        text = panel.answer_edit.toPlainText()
        emit(
            {
                "baseline": idle,
                "ours": stalls,
                "cpu_in_longest_gap": own_work,
                "durations": durations,
                "chars": len(text),
            }
        )


async def idle_window(beat: Heartbeat, seconds: float) -> float:
    import asyncio

    beat.ticks = [time.perf_counter()]
    beat.timer.start()
    await asyncio.sleep(seconds)
    beat.timer.stop()
    beat.ticks.append(time.perf_counter())
    return max(b - a for a, b in zip(beat.ticks, beat.ticks[1:], strict=False))


def filter_keys(config_path: str, rounds: int) -> None:
    from PySide6.QtCore import QSortFilterProxyModel, Qt, QTimer
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QTableView

    opened = Opened(config_path)
    page = opened.window.agents_page
    edit = page.filter_edit
    config = opened.document.config
    # The stock baseline: the same rows and visible texts, in a shown table.
    stock_model = QStandardItemModel(0, 4)
    for agent in config.agents:
        models = agent.model if isinstance(agent.model, list) else [agent.model] if agent.model else []
        stock_model.appendRow(
            [QStandardItem(t) for t in (agent.name, agent.id, agent.project or "", ", ".join(models))]
        )
    stock = QSortFilterProxyModel()
    stock.setSourceModel(stock_model)
    stock.setFilterKeyColumn(-1)
    stock.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    view = QTableView()
    view.setModel(stock)
    view.resize(800, 600)
    view.show()
    opened.settle(0.3)

    def drain() -> None:
        # Until the page has nothing pending (a debounced filter counts: its timer is waited
        # for, and only the GUI thread's own work is timed, by thread CPU time).
        QApplication.processEvents()
        while any(t.isActive() and t.isSingleShot() and t.interval() < 2000 for t in page.findChildren(QTimer)):
            time.sleep(0.002)
            QApplication.processEvents()

    ours: list[float] = []
    base: list[float] = []
    for _ in range(rounds):
        typed = ""
        for char in "agent 12":
            typed += char
            start = time.thread_time()
            profiled(lambda c=char: (QTest.keyClick(edit, c), drain()))()
            ours.append(time.thread_time() - start)
            start = time.thread_time()
            stock.setFilterFixedString(typed)
            QApplication.processEvents()
            base.append(time.thread_time() - start)
        edit.clear()
        drain()
        stock.setFilterFixedString("")
        QApplication.processEvents()
    emit({"baseline": base, "ours": ours, "rows": page.proxy.rowCount() if hasattr(page, "proxy") else None})


def bulk(config_path: str, rounds: int) -> None:
    from PySide6.QtWidgets import QApplication

    from modeldesk.app.views.dialogs.bulk_change_dialog import BulkChangeDialog

    opened = Opened(config_path)
    raw = Path(config_path).read_bytes()
    plain = Path(config_path).with_name("plain.json")
    ours: list[float] = []
    base: list[float] = []
    for index in range(rounds):
        models = ["m5", "m6"] if index % 2 else ["m6", "m5"]
        start = time.perf_counter()
        data = json.loads(raw)
        for agent in data["agents"]:
            agent["model"] = models
        text = json.dumps(data, indent=2, ensure_ascii=False)
        with open(plain, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        base.append(time.perf_counter() - start)

        start = time.perf_counter()

        def change_all(models: list[str] = models) -> BulkChangeDialog:
            dialog = BulkChangeDialog(opened.document, parent=opened.window)
            dialog.show()
            dialog.all_radio.setChecked(True)
            dialog.set_radio.setChecked(True)
            dialog.list_editor.set_models(models)
            dialog.update_preview()
            QApplication.processEvents()
            assert dialog.apply_button.isEnabled(), dialog.summary_label.text()
            dialog.apply_button.click()
            QApplication.processEvents()
            return dialog

        dialog = in_event_loop(profiled(change_all))
        ours.append(time.perf_counter() - start)
        dialog.deleteLater()
        changed = sum(1 for a in opened.document.config.agents if a.model == models)
        assert changed == len(opened.document.config.agents), changed
    emit({"baseline": base, "ours": ours})


def pages(config_path: str, rounds: int) -> None:
    """Time from clicking a page's tab to the page painted: its first open (it is built
    then) and later visits (back from the Agents page each time)."""
    from PySide6.QtWidgets import QApplication

    opened = Opened(config_path)
    tabs = opened.window.pages
    labels = [tabs.tabText(i).replace("&", "") for i in range(tabs.count())]

    def index_of(name: str) -> int:
        return next(i for i, label in enumerate(labels) if label.lower().startswith(name))

    def visit(index: int) -> float:
        # Until the page is painted and has no short timer pending (work a page defers to
        # right after it shows counts as opening it).
        from PySide6.QtCore import QTimer

        start = time.perf_counter()
        tabs.setCurrentIndex(index)
        shown = tabs.currentWidget()
        QApplication.processEvents()  # the page built, laid out and painted
        while any(t.isActive() and t.isSingleShot() and t.interval() < 1000 for t in shown.findChildren(QTimer)):
            time.sleep(0.001)
            QApplication.processEvents()
        return time.perf_counter() - start

    agents = index_of("agents")
    found: dict[str, Any] = {}
    for name in ("settings", "squads", "health"):
        index = index_of(name)
        first = profiled(lambda i=index: visit(i))()
        later = []
        for _ in range(rounds):
            visit(agents)
            opened.settle(0.05)
            later.append(visit(index))
        visit(agents)
        opened.settle(0.1)
        found[name] = {"first": [first], "later": later}
    emit(found)


def main() -> None:
    mode, config_path = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    if mode == "start-bare":
        start_bare()
    elif mode == "start-app":
        start_app(config_path)
    elif mode == "edits":
        edits(config_path, rounds)
    elif mode == "stream":
        stream(config_path, rounds)
    elif mode == "filter":
        filter_keys(config_path, rounds)
    elif mode == "bulk":
        bulk(config_path, rounds)
    elif mode == "pages":
        pages(config_path, rounds)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
