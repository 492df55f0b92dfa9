"""newsdesk QA web app (Gradio). Run: python app.py [--host 127.0.0.1] [--port 7860]"""

from __future__ import annotations

import sys

from qa.ui import main

if __name__ == "__main__":
    sys.exit(main())
