"""ModelDesk test suites. A package so that shared helpers import as ``tests.support``."""
