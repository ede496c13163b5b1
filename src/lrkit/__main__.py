"""``python -m lrkit``: the ``lrkit`` command."""

import sys

from .cli import main

sys.exit(main())
