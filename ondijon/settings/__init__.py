"""Settings for ondijon, all taken from the environment, one module per concern.

Unset DATABASE_URL means an SQLite file (WAL); unset REDIS_URL means the in-memory channel
layer and in-process jobs. README.md lists the variables. Each module reads its own
variables once; a later module uses an earlier one's settings by importing them by name.
The modules are read in this order (not sorted by name).
"""

# ruff: noqa: I001

from .base import *  # noqa: F403
from .database import *  # noqa: F403
from .channels import *  # noqa: F403
from .celery import *  # noqa: F403
from .cache import *  # noqa: F403
from .security import *  # noqa: F403
from .api import *  # noqa: F403
from .telemetry import *  # noqa: F403
from .dispatch import *  # noqa: F403
from .hotline import *  # noqa: F403
from .commands import *  # noqa: F403
from .crisis import *  # noqa: F403
from .wall import *  # noqa: F403
from .events import *  # noqa: F403
from .standards import *  # noqa: F403
from .video import *  # noqa: F403
from .geography import *  # noqa: F403
