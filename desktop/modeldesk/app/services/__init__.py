"""What the app keeps running beside its windows: the run recorder and the model records
cache (history_records.py), provider checks (provider_probe.py). Under the item models, which
read them; no page owns them."""
