"""UI tests run offscreen unless a test is marked for a real X server."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
