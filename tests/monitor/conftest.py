import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Let the tests here import their small factories module by name.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """`main()` run in-process installs its redacting root handler; later tests get theirs back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
