"""VietQR: the EMVCo merchant-presented QR payload of NAPAS 247 transfers, built locally.

A payload is a string of ID (2 digits) + length (2 digits) + value objects; templates nest
objects in their value. A transfer to a bank account puts NAPAS's GUID, the bank's BIN and the
account number under ID 38 with service code QRIBFTTA; ID 54 is the amount (whole VND) and
ID 62/08 the description the person's bank app pre-fills. It ends with ID 63: the CRC-16/CCITT
(polynomial 0x1021, start 0xFFFF) of everything before it, "6304" included, as 4 hex digits.
"""

from __future__ import annotations

import io
import re
import unicodedata

import segno

NAPAS_GUID = "A000000727"
TO_ACCOUNT = "QRIBFTTA"
VND = "704"
BIN = re.compile(r"^\d{6}$")
ACCOUNT = re.compile(r"^[0-9A-Za-z]{1,19}$")
MAX_DESCRIPTION = 25
# The banks people use most, by their NAPAS BIN (any other is shown by its BIN).
BANK_NAMES = {
    "970436": "Vietcombank",
    "970415": "VietinBank",
    "970418": "BIDV",
    "970405": "Agribank",
    "970407": "Techcombank",
    "970422": "MB Bank",
    "970416": "ACB",
    "970432": "VPBank",
    "970423": "TPBank",
    "970403": "Sacombank",
    "970441": "VIB",
    "970443": "SHB",
    "970437": "HDBank",
}


def bank_name(bank_bin: str) -> str:
    return BANK_NAMES.get(bank_bin, f"BIN {bank_bin}")


def field(tag: str, value: str) -> str:
    if not 0 < len(value) <= 99:
        raise ValueError(f"EMVCo field {tag} must be 1 to 99 characters")
    return f"{tag}{len(value):02d}{value}"


def crc16(data: str) -> str:
    crc = 0xFFFF
    for byte in data.encode():
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def ascii_text(text: str) -> str:
    """Vietnamese accents off, and only what every bank app takes (letters, digits, spaces)."""
    flat = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    kept = "".join(c for c in flat if c.isascii() and (c.isalnum() or c == " "))
    return " ".join(kept.split())


def payload(bank_bin: str, account: str, amount_vnd: int, description: str) -> str:
    """A one-time (dynamic) VietQR for `amount_vnd` to `account` at the bank `bank_bin`."""
    if not BIN.match(bank_bin):
        raise ValueError("the bank BIN is 6 digits")
    if not ACCOUNT.match(account):
        raise ValueError("the account number is 1 to 19 letters or digits")
    if amount_vnd <= 0 or amount_vnd >= 10**13:
        raise ValueError("the amount must be positive, at most 13 digits")
    beneficiary = field("00", bank_bin) + field("01", account)
    merchant = field("00", NAPAS_GUID) + field("01", beneficiary) + field("02", TO_ACCOUNT)
    text = ascii_text(description)[:MAX_DESCRIPTION]
    body = (
        field("00", "01")
        + field("01", "12")  # dynamic: this amount, this once
        + field("38", merchant)
        + field("53", VND)
        + field("54", str(amount_vnd))
        + field("58", "VN")
        + (field("62", field("08", text)) if text else "")
        + "6304"
    )
    return body + crc16(body)


def fields_of(data: str) -> dict[str, str]:
    """The top-level objects of a payload (for checks and tests): ID -> value."""
    found, position = {}, 0
    while position < len(data):
        tag, length = data[position : position + 2], int(data[position + 2 : position + 4])
        found[tag] = data[position + 4 : position + 4 + length]
        position += 4 + length
    return found


def png(data: str, scale: int = 8) -> bytes:
    """The payload as a QR code image (PNG), medium error correction, with its quiet zone."""
    out = io.BytesIO()
    segno.make_qr(data, error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
