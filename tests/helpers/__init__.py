"""Plain helpers for the tests (and bench/): no fixtures (those are in tests/conftest.py), no tests.

- ``corpus``: paths of the sample corpus, settings for a test index, small corpora written on the fly;
- ``files``: article files in formats that need building (HTML page, PDF);
- ``processes``: the app and model servers started on loopback, network-guarded;
- ``sessions``: chat sessions driven through gradio_client (tests/test_load.py, bench/load.py);
- ``faults``: numbered moments of an index build, killed or failed at one (crash-safety tests);
- ``guard`` (and ``unit_child/``): what a test marked ``unit`` may not do (load a model, start a server).
"""
