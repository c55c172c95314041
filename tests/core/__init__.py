"""Tests of the Qt-free core: resolver, store, migrations, edits."""
