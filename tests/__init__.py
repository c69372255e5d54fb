"""The test suite. A package, so that tests and bench/ import its helpers as ``tests.helpers``."""
