"""`python -m monitor` is `socmon`."""

from monitor.cli import main

main()
