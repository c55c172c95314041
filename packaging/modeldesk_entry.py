"""Entry script for the PyInstaller bundle: the same `main` the installed `modeldesk` runs."""

import sys

from modeldesk.__main__ import main

sys.exit(main())
