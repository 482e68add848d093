"""Every inline button's data, in one place. Telegram limits callback_data to 64 bytes."""

from __future__ import annotations

from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from storage.db import MAX_INTEGER

# Numbers in a button's data are checked when it is read back: a forged button with an id no
# row can have (above SQLite's largest integer) or a negative page is an expired button.
Id = Annotated[int, Field(ge=0, le=MAX_INTEGER)]
PageNo = Annotated[int, Field(ge=0, le=1_000_000)]


class MenuCb(CallbackData, prefix="m"):
    to: str  # home, services, products, orders, balance, help


class CategoriesCb(CallbackData, prefix="cs"):
    page: PageNo = 0


class CategoryCb(CallbackData, prefix="c"):
    id: Id
    page: PageNo = 0


class ServiceCb(CallbackData, prefix="s"):
    id: Id
    page: PageNo = 0  # the category page to go back to


class SearchCb(CallbackData, prefix="q"):
    page: int
    words: str  # what was searched, folded (never a ':'), cut to fit: handlers/customer/search.py


class OrderServiceCb(CallbackData, prefix="os"):
    id: Id


class DraftCb(CallbackData, prefix="d"):
    action: str  # confirm | cancel
    key: str


class DripModeCb(CallbackData, prefix="dm"):
    drip: bool  # True: drip-feed it; False: all at once
    key: str  # the draft the choice belongs to: an older choice has expired


class CancelFlowCb(CallbackData, prefix="x"):
    key: str = ""  # the draft the prompt belongs to: an older prompt's Cancel has expired


class OrdersCb(CallbackData, prefix="ol"):
    page: PageNo = 0


class OrderCb(CallbackData, prefix="o"):
    id: Id
    page: PageNo = 0


class RefreshOrderCb(CallbackData, prefix="or"):
    id: Id
    page: PageNo = 0


class RefillOrderCb(CallbackData, prefix="rf"):
    id: Id
    page: PageNo = 0


class CancelOrderCb(CallbackData, prefix="co"):
    id: Id
    page: PageNo = 0
    sure: bool = False  # False: ask "are you sure?"; True: send the request


class ProductCategoriesCb(CallbackData, prefix="pcs"):
    page: PageNo = 0


class ProductCategoryCb(CallbackData, prefix="pc"):
    id: Id
    page: PageNo = 0


class ProductCb(CallbackData, prefix="p"):
    id: Id
    page: PageNo = 0


class OrderProductCb(CallbackData, prefix="op"):
    id: Id


class ProductDraftCb(CallbackData, prefix="pd"):
    action: str  # confirm | cancel
    key: str


class ShowResultCb(CallbackData, prefix="sr"):
    id: Id


class AdminCb(CallbackData, prefix="adm"):
    to: str  # dashboard, unconfirmed, markup, export_orders, backup


class AdminUserCb(CallbackData, prefix="au"):
    action: str  # credit, debit, ban, unban
    id: Id


class TopUpCb(CallbackData, prefix="tu"):
    amount: str  # one of the preset amounts, or "other" (the person types it)


class LanguageCb(CallbackData, prefix="lang"):
    code: str  # a language with a catalog: en, ru, vi


class ResolveBatchCb(CallbackData, prefix="rb"):
    action: str  # apply | cancel
    id: Id  # the batch of settlements (storage/resolve_batches.py)


class PayMethodCb(CallbackData, prefix="pm"):
    method: str  # crypto | bank | manual (storage.payments.Method)


class PayAmountCb(CallbackData, prefix="pa"):
    method: str
    amount: str  # one of the preset amounts, or "other" (the person types it)


class ManualProofCb(CallbackData, prefix="mp"):
    id: Id  # the person's manual top-up request: send its proof now


class ReviewCb(CallbackData, prefix="rv"):
    action: str  # approve | reject (a request); credit | ignore (a transfer with no code)
    id: Id


class ReverseCb(CallbackData, prefix="rx"):
    action: str  # go (reverse it now) | keep
    kind: str  # stars | payment | transfer (shop/reversals.py Target)
    id: Id


class ApiCb(CallbackData, prefix="api"):
    action: str  # show, create, regenerate(_sure), revoke(_sure), notify_on, notify_off
