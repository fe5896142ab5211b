import sys
from pathlib import Path

# Let the tests here import their helpers module by name.
sys.path.insert(0, str(Path(__file__).parent))
