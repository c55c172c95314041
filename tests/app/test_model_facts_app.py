"""Model facts in the app: Fill from catalog (one undo step, set values kept), price
badges in the picker and the registry, prices in the model dialog."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from modeldesk.app.document import Document
from modeldesk.app.text import model_badges, price_text
from modeldesk.app.views.dialogs.model_dialog import ModelDialog
from modeldesk.app.views.settings.model_registry import ModelRegistry
from modeldesk.core.edits import PutItem
from modeldesk.core.schema import Model, Price, Provider
from tests.app.helpers import show_active


def test_fill_from_catalog_is_one_step_and_keeps_set_values(qtbot: Any, document: Document) -> None:
    document.perform(PutItem("models", Model(id="g4", provider="openai", name="gpt-4o", context_window=5000)))
    registry = show_active(qtbot, ModelRegistry(document), (1000, 500))
    steps = document.undo_stack.count()
    qtbot.mouseClick(registry.fill_button, Qt.MouseButton.LeftButton)
    assert registry.fill_status.startswith("Filled ")
    assert document.undo_stack.count() == steps + 1
    model = document.config.model("g4")
    assert model is not None and model.context_window == 5000  # the user's value
    assert model.capabilities.reasoning is False and model.price.input is not None
    row = [m.id for m in registry.model.rows()].index("g4")
    badge = registry.model.index(row, 5).data()
    assert "tools" in badge and "per M" in badge
    document.undo_stack.undo()
    assert document.config.model("g4").price.input is None  # type: ignore[union-attr]


def test_badges_say_local_free_or_unpriced() -> None:
    local = Provider(id="box", kind="openai", base_url="http://127.0.0.1:8080/v1")
    remote = Provider(id="r", kind="openai", base_url="https://api.example.com/v1")
    model = Model(id="m", provider="box", name="m")
    assert price_text(model, local) == "local · free"
    assert price_text(model, remote) == "unpriced"
    priced = Model(id="m", provider="r", name="m", price=Price(input=0.15, output=0.6))
    assert model_badges(priced, remote) == "$0.15/$0.6 per M"


def test_model_dialog_keeps_and_edits_prices(qtbot: Any) -> None:
    provider = Provider(id="r", kind="openai", base_url="https://api.example.com/v1")
    original = Model(id="m", provider="r", name="m", price=Price(input=1.5))
    dialog = ModelDialog(None, providers=[provider], model=original)
    qtbot.addWidget(dialog)
    assert dialog.price_edits["input"].text() == "1.5"
    qtbot.keyClicks(dialog.price_edits["output"], "6")
    dialog.accept()
    result = dialog.model()
    assert result is not None and result.price == Price(input=1.5, output=6.0)
