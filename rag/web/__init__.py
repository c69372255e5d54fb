"""The Gradio web UI: ``WebUI(library).create_app()`` / ``.launch()`` (rendering in :mod:`rag.web.render`)."""
