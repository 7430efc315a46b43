"""``python -m dedup``; also the script spark-submit runs:
``spark-submit path/to/dedup/__main__.py scan --engine spark ...``."""

import os
import sys

if not __package__:  # run as a script: import dedup from the folder that holds it, and let
    # this package's own folder shadow no top-level module (records, settings, files...)
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from dedup.cli import main

if __name__ == "__main__":
    main()
