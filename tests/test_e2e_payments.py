"""Money coming in: top-ups in Telegram Stars, Stars refunds, promo codes and referrals.

Payments are pushed as Telegram would send them: a pre_checkout_query, then a message with
successful_payment; the fake remembers each charge id so that refundStarPayment can refund it.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from decimal import Decimal
from typing import Any

import pytest

from shop.referrals import referral_payload
from tests.fake_telegram import ApiCall, BotMessage, Person
from tests.harness import ShopBot, eventually, text_of

pytestmark = pytest.mark.asyncio(loop_scope="module")
BOTH_MODES = True  # tests/conftest.py: over long polling, then over a webhook

_query_ids = itertools.count(1)


async def open_invoice(shop: ShopBot, person: Person, amount_label: str) -> tuple[str, int]:
    """Balance -> Top up -> the amount: the invoice's (payload, Stars total)."""
    await shop.ask(person, "/balance")
    await shop.press(person, "⭐ Top up")
    query = await person.click(amount_label, match="contains")
    invoice = await person.wait_reply()
    await person.wait_answer(query)
    return last_invoice(shop, person, invoice)


def last_invoice(shop: ShopBot, person: Person, invoice: BotMessage) -> tuple[str, int]:
    assert invoice.invoice is not None, f"not an invoice: {invoice.content!r}"
    assert invoice.invoice["currency"] == "XTR"
    call = next(c for c in reversed(shop.fake.calls_of("sendInvoice")) if c.ok)
    assert call.params["chat_id"] == person.chat_id
    return str(call.params["payload"]), int(invoice.invoice["total_amount"])


async def checkout(
    shop: ShopBot, person: Person, payload: str, total: int, currency: str = "XTR"
) -> dict[str, Any]:
    """Push a pre_checkout_query; -> the params of the bot's answerPreCheckoutQuery."""
    query_id = f"pcq-{next(_query_ids)}"
    person.push(
        "pre_checkout_query",
        {
            "id": query_id,
            "from": person.user,
            "currency": currency,
            "total_amount": total,
            "invoice_payload": payload,
        },
    )
    call = await shop.fake.wait_call(
        "answerPreCheckoutQuery",
        lambda c: str(c.params.get("pre_checkout_query_id")) == query_id,
    )
    assert call.ok, call.description
    return call.params


def pay(shop: ShopBot, person: Person, payload: str, total: int, charge_id: str) -> None:
    """Push the service message Telegram sends once the Stars are taken."""
    person.push(
        "message",
        {
            "message_id": shop.fake.get_chat(person.chat_id).next_message_id(),
            "date": int(time.time()),
            "chat": person.chat,
            "from": person.user,
            "successful_payment": {
                "currency": "XTR",
                "total_amount": total,
                "invoice_payload": payload,
                "telegram_payment_charge_id": charge_id,
                "provider_payment_charge_id": "",
            },
        },
    )


async def paid_topup(shop: ShopBot, person: Person, amount_label: str, charge_id: str) -> None:
    payload, stars = await open_invoice(shop, person, amount_label)
    assert (await checkout(shop, person, payload, stars))["ok"] is True
    pay(shop, person, payload, stars, charge_id)
    await shop.expect(person, "Payment received")


async def notifications_for(shop: ShopBot, person: Person, fragment: str) -> int:
    rows = await shop.app.db.fetchall(
        "SELECT text FROM notifications WHERE chat_id = ?", (person.chat_id,)
    )
    return sum(fragment in row["text"] for row in rows)


async def ledger_rows(shop: ShopBot, kind: str, reference: str) -> int:
    count: int = await shop.app.db.fetchval(
        "SELECT COUNT(*) FROM ledger WHERE kind = ? AND reference = ?", (kind, reference)
    )
    return count


async def assert_balances_match_ledger(shop: ShopBot, *people: Person) -> None:
    for person in people:
        ledger = shop.app.books.ledger
        assert await ledger.balance(person.user_id) == await ledger.total(person.user_id)


# ---- top-ups -----------------------------------------------------------------------------------


async def test_topup_is_credited_once_when_the_payment_comes_twice(shop: ShopBot) -> None:
    ann = await shop.customer()
    payload, stars = await open_invoice(shop, ann, "10.00 USD")
    assert stars == 500  # 10 x 50 Stars per unit
    answer = await checkout(shop, ann, payload, stars)
    assert answer["ok"] is True
    pay(shop, ann, payload, stars, "charge-ann-1")
    told = await shop.expect(ann, "Payment received")
    assert "10.00 USD" in told.content and "500 ⭐" in told.content
    assert await shop.balance(ann) == Decimal(10)

    pay(shop, ann, payload, stars, "charge-ann-1")  # Telegram delivers it again
    again = await checkout(shop, ann, payload, stars)  # and the paid invoice is closed
    assert again["ok"] is False and "paid already" in again["error_message"]
    shown = await shop.ask(ann, "/balance")
    assert "10.00 USD" in text_of(shown) and "Top-up in Telegram Stars" in text_of(shown)
    assert await shop.balance(ann) == Decimal(10)
    assert await ledger_rows(shop, "topup", "charge-ann-1") == 1
    assert await notifications_for(shop, ann, "Payment received") == 1
    topup = await shop.app.payments.topups.get(int(payload.split(":")[1]))
    assert topup is not None and topup.status == "paid" and topup.charge_id == "charge-ann-1"
    await assert_balances_match_ledger(shop, ann)


async def test_checkout_refuses_forged_wrong_and_foreign_invoices(shop: ShopBot) -> None:
    ann = await shop.customer()
    bob = await shop.customer()
    payload, stars = await open_invoice(shop, ann, "5.00 USD")
    assert stars == 250
    refusals = [
        (ann, "topup:999999", stars, "XTR", "not valid"),
        (ann, "free money", stars, "XTR", "not valid"),
        (ann, payload, stars - 1, "XTR", "does not match"),
        (ann, payload, stars, "USD", "does not match"),
        (bob, payload, stars, "XTR", "not valid"),  # another person's invoice
    ]
    for person, forged, total, currency, reason in refusals:
        answer = await checkout(shop, person, forged, total, currency)
        assert answer["ok"] is False, (forged, total, currency)
        assert reason in answer["error_message"]
    assert (await checkout(shop, ann, payload, stars))["ok"] is True
    # A payment that names no top-up of the payer credits nothing and alerts the admins.
    since = shop.mark()
    pay(shop, bob, payload, stars, "charge-bob-forged")
    await shop.expect(bob, "could not match")
    await shop.sent_to(shop.admin.chat_id, "charge-bob-forged", since)
    assert await shop.balance(bob) == Decimal(0)
    assert await shop.balance(ann) == Decimal(0)


async def test_other_amount_is_checked_and_stays_at_the_step(shop: ShopBot) -> None:
    cid = await shop.customer()
    await shop.ask(cid, "/balance")
    await shop.press(cid, "⭐ Top up")
    prompt = await shop.press(cid, "✏️ Other amount")
    assert "from 1.00 USD to 10,000.00 USD" in text_of(prompt)
    wrong = await shop.ask(cid, "lots")
    assert "not an amount" in text_of(wrong) and "10,000" in text_of(wrong)
    small = await shop.ask(cid, "0.5")
    assert "must be from 1.00 USD to 10,000.00 USD" in text_of(small)
    large = await shop.ask(cid, "10000.01")
    assert "must be from" in text_of(large)
    invoice = await shop.ask(cid, "12.34")
    payload, stars = last_invoice(shop, cid, invoice)
    assert stars == 617  # 12.34 x 50
    pay(shop, cid, payload, stars, "charge-cid-1")
    await shop.expect(cid, "12.34 USD")
    assert await shop.balance(cid) == Decimal("12.34")
    # The flow is over: a plain text is no amount any more.
    after = await shop.ask(cid, "15")
    assert after.invoice is None


async def test_stars_rate_is_set_by_admins_at_run_time(shop: ShopBot) -> None:
    shown = await shop.ask(shop.admin, "/stars_rate")
    assert "50 ⭐ per 1 USD" in text_of(shown)
    bad = await shop.ask(shop.admin, "/stars_rate free")
    assert "not a rate" in text_of(bad) and "Usage" in text_of(bad)
    zero = await shop.ask(shop.admin, "/stars_rate 0")
    assert "not a rate" in text_of(zero)
    done = await shop.ask(shop.admin, "/stars_rate 42.5")
    assert "42.5" in text_of(done)
    dan = await shop.customer()
    _, stars = await open_invoice(shop, dan, "5.00 USD")
    assert stars == 213  # ceil(5 x 42.5)
    # Others do not see the command exists.
    unknown = await shop.ask(dan, "/nonsense")
    reply = await shop.ask(dan, "/stars_rate 1")
    assert text_of(reply) == text_of(unknown)
    assert await shop.app.payments.stars_per_unit() == Decimal("42.5")


# ---- refunds -----------------------------------------------------------------------------------


def refunds_asked(shop: ShopBot, since: int) -> list[ApiCall]:
    return [call for call in shop.fake.calls[since:] if call.method == "refundStarPayment"]


async def test_refund_stars_once_and_never_beyond_the_balance(shop: ShopBot) -> None:
    start = shop.mark()  # the fake is shared by the module: count this test's calls only
    ann = await shop.customer()
    await paid_topup(shop, ann, "10.00 USD", "charge-refund-1")
    since = shop.mark()
    reply = await shop.ask(shop.admin, "/refund_stars charge-refund-1")
    assert "Refunded" in text_of(reply) and "500 ⭐" in text_of(reply)
    assert await shop.balance(ann) == Decimal(0)
    await shop.sent_to(ann.chat_id, "was refunded", since)
    again = await shop.ask(shop.admin, "/refund_stars charge-refund-1")
    assert "refunded already" in text_of(again)
    assert len(refunds_asked(shop, start)) == 1
    assert await shop.balance(ann) == Decimal(0)
    assert await ledger_rows(shop, "topup_refund", "charge-refund-1") == 1

    # The money was spent: the refund is refused and Telegram is not asked.
    bob = await shop.customer()
    await paid_topup(shop, bob, "10.00 USD", "charge-refund-2")
    await shop.ask(shop.admin, f"/debit {bob.user_id} 6 spent")
    refused = await shop.ask(shop.admin, "/refund_stars charge-refund-2")
    assert "no longer covers" in text_of(refused) and "4.00 USD" in text_of(refused)
    assert len(refunds_asked(shop, start)) == 1
    assert await shop.balance(bob) == Decimal(4)

    unknown = await shop.ask(shop.admin, "/refund_stars no-such-charge")
    assert "no credited Stars payment" in text_of(unknown)
    usage = await shop.ask(shop.admin, "/refund_stars")
    assert "Usage: /refund_stars CHARGE_ID" in text_of(usage)
    await assert_balances_match_ledger(shop, ann, bob)


async def test_refund_refused_by_telegram_puts_the_money_back(shop: ShopBot) -> None:
    cid = await shop.customer()
    await paid_topup(shop, cid, "5.00 USD", "charge-refund-3")
    shop.fake.fail_next("refundStarPayment", 400, "Bad Request: CHARGE_NOT_FOUND")
    reply = await shop.ask(shop.admin, "/refund_stars charge-refund-3")
    assert "refused" in text_of(reply) and "put back" in text_of(reply)
    assert await shop.balance(cid) == Decimal(5)
    assert await ledger_rows(shop, "topup_refund_reverted", "charge-refund-3") == 1
    # A second try succeeds, and is a ledger entry of its own.
    done = await shop.ask(shop.admin, "/refund_stars charge-refund-3")
    assert "Refunded" in text_of(done)
    assert await shop.balance(cid) == Decimal(0)
    await assert_balances_match_ledger(shop, cid)


async def test_refund_without_a_clear_answer_holds_the_money_until_retried(
    shop: ShopBot,
) -> None:
    dan = await shop.customer()
    await paid_topup(shop, dan, "5.00 USD", "charge-refund-4")
    shop.fake.fail_next("refundStarPayment", 500, "Internal Server Error")
    reply = await shop.ask(shop.admin, "/refund_stars charge-refund-4")
    assert "did not answer clearly" in text_of(reply) and "again" in text_of(reply)
    assert await shop.balance(dan) == Decimal(0)  # held, not given back
    done = await shop.ask(shop.admin, "/refund_stars charge-refund-4")
    assert "Refunded" in text_of(done)
    assert await shop.balance(dan) == Decimal(0)
    assert await ledger_rows(shop, "topup_refund", "charge-refund-4") == 1  # debited once
    await assert_balances_match_ledger(shop, dan)


async def test_an_invoice_paid_twice_is_credited_twice(shop: ShopBot) -> None:
    """Two payments of one invoice (both checked out before either was paid): the Stars were
    taken twice, so both are credited, each once."""
    eve = await shop.customer()
    payload, stars = await open_invoice(shop, eve, "5.00 USD")
    assert (await checkout(shop, eve, payload, stars))["ok"] is True
    assert (await checkout(shop, eve, payload, stars))["ok"] is True
    pay(shop, eve, payload, stars, "charge-eve-1")
    await shop.expect(eve, "Payment received")
    pay(shop, eve, payload, stars, "charge-eve-2")
    await shop.expect(eve, "Payment received")
    assert await shop.balance(eve) == Decimal(10)
    assert await ledger_rows(shop, "topup", "charge-eve-2") == 1


async def test_the_balance_screen_offers_top_up_promo_and_invitations(shop: ShopBot) -> None:
    fay = await shop.customer()
    await shop.press(fay, "💰 Balance")
    screen = fay.last_message
    assert screen.buttons == [
        ["⭐ Top up", "🎟 Promo code"],
        ["🤝 Invite friends"],
        ["🏠 Menu"],
    ]
    menu = await shop.press(fay, "⭐ Top up")
    assert "1 USD = 50 ⭐" in text_of(menu)
    assert menu.buttons[0] == ["5.00 USD · 250 ⭐", "10.00 USD · 500 ⭐"]
    assert menu.buttons[-2:] == [["✏️ Other amount"], ["⬅️ Balance", "🏠 Menu"]]
    back = await shop.press(fay, "⬅️ Balance")
    assert back.message_id == menu.message_id  # menus edit one message
    invite = await shop.press(fay, "🤝 Invite friends")
    assert referral_payload(fay.user_id) in text_of(invite)
    # A forged amount is not invoiced.
    await fay.click_data("tu:7")
    await shop.fake.wait_call("answerCallbackQuery", lambda c: "expired" in str(c.params))
    assert not [c for c in shop.fake.calls_of("sendInvoice") if c.params["chat_id"] == fay.chat_id]


async def test_payment_commands_look_unknown_to_others(shop: ShopBot) -> None:
    eve = await shop.customer()
    unknown = await shop.ask(eve, "/nonsense")
    for command in ("/refund_stars x", "/stars_rate"):
        reply = await shop.ask(eve, command)
        assert text_of(reply) == text_of(unknown)
    # /promo create is a code to redeem for anyone but an admin.
    reply = await shop.ask(eve, "/promo create BONUS 5 10")
    assert "not a promo code" in text_of(reply)
    reply = await shop.ask(eve, "/promo create")
    assert "There is no promo code CREATE" in text_of(reply)
    assert await shop.app.promos.newest() == []


# ---- promo codes -------------------------------------------------------------------------------


async def test_a_three_use_code_is_redeemed_three_times_by_ten_people(shop: ShopBot) -> None:
    made = await shop.ask(shop.admin, "/promo create Rush-3 2.50 3")
    assert "RUSH-3" in text_of(made) and "created" in text_of(made)
    people = [await shop.customer() for _ in range(10)]
    replies = await asyncio.gather(*(shop.ask(person, "/promo rush-3") for person in people))
    applied = [reply for reply in replies if "applied" in text_of(reply)]
    used_up = [reply for reply in replies if "used up" in text_of(reply)]
    assert (len(applied), len(used_up)) == (3, 7)
    balances = [await shop.balance(person) for person in people]
    assert sorted(balances) == [Decimal(0)] * 7 + [Decimal("2.5")] * 3
    listed = await shop.ask(shop.admin, "/promo list")
    assert "RUSH-3" in text_of(listed) and "3/3 used" in text_of(listed)
    await assert_balances_match_ledger(shop, *people)


async def test_concurrent_redemptions_through_the_service(shop: ShopBot) -> None:
    people = [await shop.customer() for _ in range(12)]
    promos = shop.app.promos
    assert await promos.create("BURST", Decimal(1), 5, None, shop.admin.user_id)
    results = await asyncio.gather(
        *(promos.redeem(p.user_id, "burst") for p in people),
        *(promos.redeem(p.user_id, "Burst") for p in people),  # and everyone twice
    )
    assert sum(type(r).__name__ == "Redeemed" for r in results) == 5
    redeemed = await shop.app.db.fetchval(
        "SELECT COUNT(*) FROM promo_redemptions WHERE code = 'BURST'"
    )
    assert redeemed == 5
    assert sum([await shop.balance(p) for p in people], Decimal(0)) == Decimal(5)


async def test_promo_codes_are_once_per_person_and_answer_clearly(shop: ShopBot) -> None:
    ann = await shop.customer()
    await shop.ask(shop.admin, "/promo create WELCOME 1 100 30")
    await shop.ask(shop.admin, "/promo create OLD 1 100 1")
    await shop.ask(shop.admin, "/promo create GONE 1 100")
    async with shop.app.db.transaction() as tx:
        await tx.execute("UPDATE promo_codes SET expires_at = 1 WHERE code = 'OLD'")
    off = await shop.ask(shop.admin, "/promo off gone")
    assert "is off" in text_of(off)

    # Through the balance screen's button, in any case.
    await shop.ask(ann, "/balance")
    prompt = await shop.press(ann, "🎟 Promo code")
    assert "promo code" in text_of(prompt)
    bad = await shop.ask(ann, "no!")
    assert "3 to 32 letters" in text_of(bad)
    unknown = await shop.ask(ann, "NOPE")  # still at the step
    assert "There is no promo code NOPE" in text_of(unknown)
    applied = await shop.ask(ann, "welcome")
    assert "applied" in text_of(applied) and "1.00 USD" in text_of(applied)
    twice = await shop.ask(ann, "/promo Welcome")
    assert "already used" in text_of(twice)
    expired = await shop.ask(ann, "/promo old")
    assert "expired" in text_of(expired)
    switched_off = await shop.ask(ann, "/promo GONE")
    assert "no longer active" in text_of(switched_off)
    assert await shop.balance(ann) == Decimal(1)
    assert await ledger_rows(shop, "promo", f"WELCOME:{ann.user_id}") == 1

    usage = await shop.ask(shop.admin, "/promo create X 1 1")
    assert "not a valid code" in text_of(usage)
    usage = await shop.ask(shop.admin, "/promo create DUP 1 0")
    assert "USES must be" in text_of(usage)
    exists = await shop.ask(shop.admin, "/promo create welcome 1 5")
    assert "exists already" in text_of(exists)
    bare = await shop.ask(shop.admin, "/promo")
    assert "Usage: /promo create" in text_of(bare)
    mine = await shop.ask(shop.admin, "/promo welcome")  # an admin redeems like anyone
    assert "applied" in text_of(mine)


# ---- referrals ---------------------------------------------------------------------------------


async def test_referrer_earns_a_share_of_stars_topups_only(shop: ShopBot) -> None:
    rita = await shop.customer()
    link = await shop.ask(rita, "/referral")
    payload = referral_payload(rita.user_id)
    assert f"t.me/shop_test_bot?start={payload}" in text_of(link)
    assert "People invited: 0" in text_of(link)

    fred = shop.person()
    welcome = await shop.ask(fred, f"/start {payload}")
    assert "friend's invitation" in text_of(welcome)
    await shop.expect(rita, "joined through your invitation")

    await paid_topup(shop, fred, "25.00 USD", "charge-fred-1")
    earned = await shop.expect(rita, "you earned")
    assert "1.25 USD" in earned.content  # 5% of 25
    assert await shop.balance(fred) == Decimal(25)
    assert await shop.balance(rita) == Decimal("1.25")
    assert await ledger_rows(shop, "referral", "charge-fred-1") == 1

    # Promo codes and admin credits earn the referrer nothing.
    await shop.ask(shop.admin, "/promo create FREDDY 3 1")
    # Fred's notifications (paced at one a second) may come between his replies: wait for each.
    await fred.send("/promo freddy")
    await shop.expect(fred, "applied")
    await shop.ask(shop.admin, f"/credit {fred.user_id} 4")
    await shop.expect(fred, "credited")
    assert await shop.balance(rita) == Decimal("1.25")

    # A later /start with another link changes nothing.
    other = await shop.customer()
    later = await shop.ask(fred, f"/start {referral_payload(other.user_id)}")
    assert "new to this bot" in text_of(later)
    stats = await shop.ask(rita, "/referral")
    assert "People invited: 1" in text_of(stats) and "Earned: 1.25 USD" in text_of(stats)
    await assert_balances_match_ledger(shop, rita, fred)


async def referred_pair(shop: ShopBot, charge_id: str) -> tuple[Person, Person]:
    """A referrer and the person they invited, whose 25.00 USD top-up earned them 1.25."""
    referrer = await shop.customer()
    invited = shop.person()
    await shop.ask(invited, f"/start {referral_payload(referrer.user_id)}")
    await paid_topup(shop, invited, "25.00 USD", charge_id)
    await shop.expect(referrer, "you earned")
    return referrer, invited


async def test_a_refunded_topup_takes_the_referrers_share_back(shop: ShopBot) -> None:
    rose, gus = await referred_pair(shop, "charge-gus-1")
    assert await shop.balance(rose) == Decimal("1.25")
    reply = await shop.ask(shop.admin, "/refund_stars charge-gus-1")
    assert "Refunded" in text_of(reply)
    taken = await shop.expect(rose, "taken back")
    assert "1.25 USD" in taken.content and "Balance now: 0.00 USD" in taken.content
    assert await shop.balance(gus) == Decimal(0)
    assert await shop.balance(rose) == Decimal(0)
    assert await ledger_rows(shop, "referral_reversed", "charge-gus-1") == 1
    stats = await shop.ask(rose, "/referral")
    assert "Earned: 0.00 USD" in text_of(stats)
    history = await shop.ask(rose, "/balance")
    assert "Invitation reward taken back" in text_of(history)
    # Asked again: refunded already, nothing more is taken.
    again = await shop.ask(shop.admin, "/refund_stars charge-gus-1")
    assert "refunded already" in text_of(again)
    assert await ledger_rows(shop, "referral_reversed", "charge-gus-1") == 1
    await assert_balances_match_ledger(shop, rose, gus)


async def test_a_spent_share_is_taken_back_as_far_as_it_goes_and_admins_told(
    shop: ShopBot,
) -> None:
    ray, hal = await referred_pair(shop, "charge-hal-1")
    await shop.admin.send(f"/debit {ray.user_id} 1 spent")
    await shop.expect(shop.admin, "Debited")
    since = shop.mark()
    await shop.admin.send("/refund_stars charge-hal-1")
    await shop.expect(shop.admin, "Refunded")  # the customer's refund is not held up
    assert await shop.balance(hal) == Decimal(0)
    assert await shop.balance(ray) == Decimal(0)  # the 0.25 left was taken
    taken = await shop.expect(ray, "taken back")
    assert "0.25 USD" in taken.content
    await shop.sent_to(shop.admin.chat_id, "had already spent 1.00 USD", since)
    await assert_balances_match_ledger(shop, ray, hal)


async def test_a_refused_refund_gives_the_share_back_too(shop: ShopBot) -> None:
    rod, ivy = await referred_pair(shop, "charge-ivy-1")
    shop.fake.fail_next("refundStarPayment", 400, "Bad Request: CHARGE_NOT_FOUND")
    reply = await shop.ask(shop.admin, "/refund_stars charge-ivy-1")
    assert "refused" in text_of(reply)
    assert await shop.balance(ivy) == Decimal(25)
    assert await shop.balance(rod) == Decimal("1.25")
    assert await ledger_rows(shop, "referral_restored", "charge-ivy-1") == 1
    stats = await shop.ask(rod, "/referral")
    assert "Earned: 1.25 USD" in text_of(stats)
    # The second try takes it back under a reference of its own.
    done = await shop.ask(shop.admin, "/refund_stars charge-ivy-1")
    assert "Refunded" in text_of(done)
    assert await shop.balance(rod) == Decimal(0)
    assert await ledger_rows(shop, "referral_reversed", "charge-ivy-1#2") == 1
    await assert_balances_match_ledger(shop, rod, ivy)


async def test_self_referral_and_late_or_bad_links_are_refused(shop: ShopBot) -> None:
    selfish = shop.person()
    reply = await shop.ask(selfish, f"/start {referral_payload(selfish.user_id)}")
    assert "your own invitation link" in text_of(reply)

    ann = await shop.customer()  # has used the bot already
    rita = await shop.customer()
    late = await shop.ask(ann, f"/start {referral_payload(rita.user_id)}")
    assert "new to this bot" in text_of(late)

    stranger = shop.person()
    bad = await shop.ask(stranger, "/start ref_!!")
    assert "not valid" in text_of(bad)
    nobody = shop.person()
    unknown = await shop.ask(nobody, f"/start {referral_payload(1)}")
    assert "not valid" in text_of(unknown)
    beyond = shop.person()  # a code above the largest id SQLite can hold
    too_big = await shop.ask(beyond, "/start ref_zzzzzzzzzzzzz")
    assert "not valid" in text_of(too_big)

    stats = await shop.ask(rita, "/referral")
    assert "People invited: 0" in text_of(stats)
    await shop.ask(shop.admin, f"/credit {ann.user_id} 1")  # nothing to share either way

    async def nobody_referred() -> bool:
        count = await shop.app.db.fetchval(
            "SELECT COUNT(*) FROM referrals WHERE referrer_id IS NOT NULL"
        )
        return bool(count == 0)

    await eventually(nobody_referred)


async def test_a_banned_person_cannot_pay_but_money_already_paid_is_credited(
    shop: ShopBot,
) -> None:
    bea = await shop.customer()
    payload, stars = await open_invoice(shop, bea, "10.00 USD")
    await shop.app.books.users.set_banned(bea.user_id, True)
    refused = await checkout(shop, bea, payload, stars)
    assert refused["ok"] is False
    assert "suspended" in refused["error_message"]
    pay(shop, bea, payload, stars, "charge-bea-1")  # banned between checkout and payment
    await eventually(lambda: ledger_has(shop, "topup", "charge-bea-1"))
    assert await shop.balance(bea) == Decimal(10)


async def ledger_has(shop: ShopBot, kind: str, reference: str) -> bool:
    return await ledger_rows(shop, kind, reference) == 1
