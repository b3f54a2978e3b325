"""Masks for display and the free-text masker used by logging."""

from __future__ import annotations

from zhudai.privacy import mask_bank_card, mask_id_number, mask_name, mask_phone, mask_text


def test_masks() -> None:
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert mask_phone("13812341234") == "138****1234"
    assert mask_bank_card("6222021001123456789") == "622202*********6789"
    assert mask_name("欧阳明月") == "欧***"


def test_free_text() -> None:
    text = "客户11010519491231002X，手机13812341234，卡6222021001123456789，订单号 20261124"
    masked = mask_text(text)
    for secret in ("11010519491231002X", "13812341234", "6222021001123456789"):
        assert secret not in masked
    assert "20261124" in masked  # an 8-digit order number is not personal data
