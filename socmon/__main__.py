"""`python -m socmon` is `socmon`."""

from socmon.cli import main

main()
