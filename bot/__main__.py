"""`python -m bot` is the same as `twitchcheck`."""

import sys

from bot.cli import main

sys.exit(main())
