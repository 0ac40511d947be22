"""Entry script for the frozen app (PyInstaller needs a file, not a console-script entry point)."""

import sys

from writer_desktop.__main__ import main

sys.exit(main())
