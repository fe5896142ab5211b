"""socmon, the application: the command line, the daemon, the web pages and the demo.

This is the top layer. It wires the engine (`monitor`: config, registry, store, cycle)
and the delivery of digests (`notifications`) together; nothing below imports it.
"""
