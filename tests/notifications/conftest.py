import sys
from pathlib import Path

# Let the tests here import their small world module by name.
sys.path.insert(0, str(Path(__file__).parent))

from digest_world import make_district, smtp_server

__all__ = ["make_district", "smtp_server"]
