"""`python -m adaptgen` is the `adaptgen` command."""

import sys

from adaptgen.cli import main

sys.exit(main())
