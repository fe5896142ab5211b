"""The lapse history web page for communications staff and account managers.

`create_app` lives in monitor.web.app; importing this package does not load FastAPI,
so commands that only need monitor.web.auth (socmon users) start quickly.
"""
