"""Log filters. A request line names its path, and a set-password link (a staff
invitation or a password reset) carries its token in the path: the token is replaced
before the line is written, so the server log never holds a way into an account."""

import logging
import re

SECRET_PATH = re.compile(r"(/admin/(?:reset|invite)/[^/\s\"]+/)(?!set-password/)[^/\s\"]+")


def redact_secret_paths(text: str) -> str:
    return SECRET_PATH.sub(r"\1[secret]", text)


class SecretPathFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_secret_paths(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
