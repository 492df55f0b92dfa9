"""``python -m qa``: the command line (see :mod:`qa.cli.main`)."""

import sys

from qa.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
