"""`python -m ifcscript_desktop.worker`: the worker process (see worker.server)."""

import sys

from ifcscript_desktop.worker.server import main

sys.exit(main())
