"""The lapse history web page for communications staff and account managers."""

from monitor.web.app import create_app

__all__ = ["create_app"]
