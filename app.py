"""Start the web UI on the configured articles folder (builds the index first if needed).

    python app.py [--port 7860] [--articles-dir articles] ...   (same flags as `rag serve`)
"""
import sys

from rag.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
