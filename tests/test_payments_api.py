"""The payment formats, without a bot: VietQR payloads and their CRC, codes in transfer texts,
Crypto Pay's webhook signature, SePay's API key and bodies, and the client against the
Crypto Pay simulator."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payments_api import cryptopay, sepay, vietqr
from shop.bank_topups import codes_in
from shop.topups import Conversion, Limits, parse_rate
from simulators.cryptopay import CryptoPaySimulator


def test_crc16_is_ccitt_false() -> None:
    assert vietqr.crc16("123456789") == "29B1"  # the standard check value


def test_vietqr_payload_fields() -> None:
    data = vietqr.payload("970415", "113366668888", 79000, "Ủng hộ SMM8F3K2Q đây!")
    fields = vietqr.fields_of(data)
    assert fields["00"] == "01" and fields["01"] == "12"
    assert fields["38"] == "0010A0000007270126000697041501121133666688880208QRIBFTTA"
    assert (fields["53"], fields["54"], fields["58"]) == ("704", "79000", "VN")
    assert fields["62"] == "0820Ung ho SMM8F3K2Q day"
    assert data.endswith("6304" + vietqr.crc16(data[:-4]))
    assert vietqr.png(data).startswith(b"\x89PNG")
    for bad in [("97041", "1", 1, ""), ("970415", "12-34", 1, ""), ("970415", "1", 0, "")]:
        with pytest.raises(ValueError):
            vietqr.payload(*bad)


def test_codes_are_found_however_people_type_them() -> None:
    for content in [
        "SMM8F3K2Q",
        "chuyen tien smm8f3k2q",
        "CT SMM 8F3-K2Q FT23123",
        "NguyenVanAn-smm.8f3k.2q-thanhtoan",
    ]:
        assert "SMM8F3K2Q" in codes_in(content), content
    assert codes_in("tien an sang") == []


def test_crypto_pay_signature() -> None:
    body = b'{"update_type":"invoice_paid"}'
    good = cryptopay.signature("token-1", body)
    assert cryptopay.signature_ok("token-1", body, good)
    assert cryptopay.signature_ok("token-1", body, good.upper())
    assert not cryptopay.signature_ok("token-2", body, good)
    assert not cryptopay.signature_ok("token-1", body + b" ", good)
    assert not cryptopay.signature_ok("token-1", body, None)


def test_crypto_pay_updates_are_read_strictly() -> None:
    invoice = {"invoice_id": 7, "status": "paid", "amount": "10", "fiat": "USD", "payload": "p"}
    update = {"update_type": "invoice_paid", "payload": invoice}
    paid = cryptopay.paid_invoice_in(update)
    assert paid is not None
    assert (paid.invoice_id, paid.amount, paid.currency) == (7, Decimal(10), "USD")
    other = {"update_type": "something_else", "payload": {}}
    assert cryptopay.paid_invoice_in(other) is None
    for bad in [{}, {"update_type": "invoice_paid", "payload": {"x": 1}}]:
        with pytest.raises(ValueError):
            cryptopay.paid_invoice_in(bad)
    # Every field of the wrong type is named; nothing is str()-ed into shape.
    for field, wrong in [
        ("invoice_id", "7"), ("invoice_id", True), ("invoice_id", -1), ("invoice_id", 2**63),
        ("status", 5), ("amount", [10]), ("amount", "lots"), ("amount", "NaN"),
        ("amount", "1e999999"), ("fiat", {"x": 1}), ("payload", 12), ("paid_amount", "x"),
    ]:  # fmt: skip
        with pytest.raises(ValueError, match=field):
            cryptopay.paid_invoice_in({**update, "payload": {**invoice, field: wrong}})


def test_sepay_api_key_and_bodies() -> None:
    assert sepay.api_key_ok("key-1", "Apikey key-1")
    assert sepay.api_key_ok("key-1", "apikey  key-1 ")
    assert not sepay.api_key_ok("key-1", "Bearer key-1")
    assert not sepay.api_key_ok("key-1", "Apikey key-2")
    assert not sepay.api_key_ok("", "Apikey ")
    assert not sepay.api_key_ok("key-1", None)
    body = {"id": 92704, "transferType": "in", "transferAmount": 2277000, "content": "x"}
    transaction = sepay.parse_transaction(body)
    assert (transaction.id, transaction.incoming) == ("92704", True)
    assert transaction.amount == Decimal(2_277_000)
    for bad in [{}, {"id": 1, "transferType": "in", "transferAmount": "lots"}]:
        with pytest.raises(ValueError):
            sepay.parse_transaction(bad)
    for field, wrong in [
        ("id", None), ("id", True), ("id", 0), ("id", -5), ("id", ""), ("id", [1]),
        ("transferType", "sideways"), ("transferType", 1), ("transferAmount", None),
        ("transferAmount", True), ("transferAmount", "NaN"), ("transferAmount", "1e999999"),
        ("transferAmount", {"v": 1}), ("content", 5), ("code", ["SMM"]), ("gateway", 1.5),
        ("accountNumber", 1), ("referenceCode", {}), ("transactionDate", 20250101),
    ]:  # fmt: skip
        with pytest.raises(ValueError, match=field):
            sepay.parse_transaction({**body, field: wrong})


def test_amount_rules() -> None:
    limits = Limits(Decimal(1), Decimal(30), (Decimal(5), Decimal(50)))
    assert limits.shown_presets() == (Decimal(5),)
    assert limits.allows(Decimal(1)) and not limits.allows(Decimal("30.01"))
    vnd = Conversion("VND", Decimal(25_000))
    assert vnd.ask(Decimal("0.00001")) == 1  # whole VND, rounded up
    assert vnd.back(Decimal(100_000)) == 4
    usd = Conversion("USD", Decimal("0.00004"))
    assert usd.ask(Decimal(100_000)) == 4 and usd.ask(Decimal(100_001)) == Decimal("4.01")
    assert parse_rate("25000") == 25_000 and parse_rate("0") is None
    assert parse_rate("1,000") is None  # ambiguous


async def test_the_client_against_the_simulator() -> None:
    sim = CryptoPaySimulator(token="sim-token")
    url = await sim.start()
    client = cryptopay.CryptoPayClient(url, "sim-token")
    try:
        invoice = await client.create_invoice(
            amount=Decimal("12.50"), fiat="USD", accepted_assets=["USDT"],
            description="d", payload="payment:1", expires_in=60,
        )  # fmt: skip
        assert (invoice.status, invoice.payload) == ("active", "payment:1")
        assert invoice.amount == Decimal("12.5")
        await sim.pay(invoice.invoice_id)
        [seen] = await client.get_invoices([invoice.invoice_id])
        assert seen.status == "paid" and seen.paid_asset == "USDT"
        with pytest.raises(cryptopay.CryptoPayError, match="FIAT_INVALID"):
            await client.create_invoice(
                amount=Decimal(1), fiat="VND", accepted_assets=["USDT"],
                description="d", payload="p", expires_in=60,
            )  # fmt: skip
        sim.fail_next(502)
        with pytest.raises(cryptopay.CryptoPayUnavailable):
            await client.get_invoices([invoice.invoice_id])
        wrong = cryptopay.CryptoPayClient(url, "not-the-token")
        with pytest.raises(cryptopay.CryptoPayError) as refused:
            await wrong.get_invoices([1])
        await wrong.close()
        assert "not-the-token" not in str(refused.value) and "not-the-token" not in repr(wrong)
    finally:
        await client.close()
        await sim.stop()
