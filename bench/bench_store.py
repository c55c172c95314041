"""What the store's safety costs: one edit to a 1,000- and a 10,000-agent file.

Baselines, measured in the same run:
- "plain write": json.dump of the same data over the file with open(path, "w") (no lock,
  no validation, no fsync; the unsafe way many apps save);
- "read + write": json.load, change one value, plain write (the least a correct
  read-modify-write must do).
ConfigStore.apply re-reads under the lock, validates, writes a temp file, fsyncs and
renames: the ratio is the price of never losing or tearing data.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import best_of, header, report
from workspace import workspace

from modeldesk.core.edits import SetAgentModels
from modeldesk.core.schema import dump_config
from modeldesk.core.store import ConfigStore


def measure(folder: Path, size: int) -> None:
    """Report one edit to a workspace of `size` agents, in files under `folder`."""
    config = workspace(size)
    data = dump_config(config)
    plain_path = folder / f"plain-{size}.json"
    store = ConfigStore(folder / f"store-{size}.json", policy_path=folder / "none.json")
    store.save(config)
    flip = iter(range(10**9))

    def plain_write() -> None:
        with open(plain_path, "w") as fh:
            json.dump(data, fh, indent=2)

    def read_modify_write() -> None:
        with open(plain_path) as fh:
            loaded = json.load(fh)
        loaded["agents"][1]["model"] = ["m1", f"m{next(flip) % 2 + 2}"]
        with open(plain_path, "w") as fh:
            json.dump(loaded, fh, indent=2)

    def store_apply() -> None:
        store.apply(SetAgentModels("agent1", ("m1", f"m{next(flip) % 2 + 2}")))

    plain = best_of(plain_write)
    report(f"plain write, {size} agents", plain, plain, "plain write")
    report(f"read + write, {size} agents", best_of(read_modify_write), plain, "plain write")
    report(f"ConfigStore.apply (lock, validate, fsync), {size}", best_of(store_apply), plain, "plain write")
    report(f"ConfigStore.load, {size} agents", best_of(store.load), plain, "plain write")


def main() -> None:
    header("store: one edit to the config file")
    with tempfile.TemporaryDirectory() as folder:
        for size in (1_000, 10_000):
            measure(Path(folder), size)


if __name__ == "__main__":
    main()
