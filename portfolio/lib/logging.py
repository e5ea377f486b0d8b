"""Logging that says what matters: a refused or missing page is one line."""

import logging


class OneLineClientErrors(logging.Filter):
    """Drop the traceback of a 4xx that Django logs (django.request, django.security):
    a 403 or 404 is a person's mistake or a probe, not a fault of Pilotgate. The line
    keeps the status, the method and the path."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500 and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True
