"""The lapse history web page for communications staff and account managers.

`create_app` lives in socmon.web.app; importing this package does not load FastAPI,
so commands that only need socmon.web.auth (socmon users) start quickly.
"""
