"""Masking of personal data for logs, reports and the UI.

The free-text masker finds ID numbers, mobiles and card numbers anywhere in a string, so a log
line that embeds one by mistake is still safe.
"""

from __future__ import annotations

import re


def mask_id_number(v: str) -> str:
    """``110105194912310021`` -> ``110***********0021``."""
    return v[:3] + "*" * (len(v) - 7) + v[-4:] if len(v) > 7 else "*" * len(v)


def mask_phone(v: str) -> str:
    """``13812341234`` -> ``138****1234``."""
    return v[:3] + "*" * (len(v) - 7) + v[-4:] if len(v) > 7 else "*" * len(v)


def mask_bank_card(v: str) -> str:
    """``6222021001123456789`` -> ``622202*********6789``."""
    return v[:6] + "*" * (len(v) - 10) + v[-4:] if len(v) > 10 else "*" * len(v)


def mask_name(v: str) -> str:
    """``张三`` -> ``张*``; ``欧阳明月`` -> ``欧***``."""
    return v[:1] + "*" * (len(v) - 1) if v else v


_ID_IN_TEXT = re.compile(r"(?<![\dA-Za-z])(\d{17}[\dXx])(?![\dA-Za-z])")
_CARD_IN_TEXT = re.compile(r"(?<!\d)(\d{16,19})(?!\d)")
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")


def mask_text(text: str) -> str:
    """Mask every ID number, card number and mobile found in free text.

    Examples
    --------
    >>> mask_text("call 13812341234 about 11010519491231002X")
    'call 138****1234 about 110***********002X'
    """
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(1)), text)
    text = _CARD_IN_TEXT.sub(lambda m: mask_bank_card(m.group(1)), text)
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(1)), text)
