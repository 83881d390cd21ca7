"""``python -m custom_components.apsystems_ema.openapi``: see :mod:`.cli`."""

import sys

from .cli import main

sys.exit(main())
