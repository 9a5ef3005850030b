"""Voucher codes as staff type them (a leaf module: selectors and services read it)."""

import re

from points.calculation import digits_latin


def voucher_code_normalize(code: str) -> str:
    """A voucher code as staff type or read it: "abcd efgh", "ABCD-EFGH" and Arabic-Indic
    digits are the code "ABCDEFGH"."""
    return re.sub(r"[\s\-\u2010-\u2015]", "", digits_latin(str(code))).upper()
