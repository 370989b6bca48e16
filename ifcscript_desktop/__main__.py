"""`python -m ifcscript_desktop`: the same as the `ifcscript` command."""

import sys

from ifcscript_desktop.cli import main

sys.exit(main())
