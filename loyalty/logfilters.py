"""Log filters. A request line names its path, and a one-time link (a staff invitation,
a password reset, the sign-in link after signup, the owner's email check, the web
card's hand-off from the root domain to a merchant's host) carries its
token in the path: the token is replaced before the line is written, so the server log
never holds a way into an account. A test checks that every route with a token in its
path is covered."""

import logging
import re

SECRET_PATH = re.compile(
    r"(/admin/(?:reset|invite)/[^/\s\"]+/|/admin/welcome/|/signup/verify/|/card/handoff/)"
    r"(?!set-password/)[^/\s\"?]+"
)


def redact_secret_paths(text: str) -> str:
    return SECRET_PATH.sub(r"\1[secret]", text)


class SecretPathFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_secret_paths(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
