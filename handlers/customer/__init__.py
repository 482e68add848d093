"""What customers do, one module a feature, each building a fresh router."""

from __future__ import annotations

from aiogram import Router

from handlers.customer import (
    api,
    balance,
    dripfeed,
    language,
    order_cancel,
    ordering,
    orders,
    pay,
    products,
    promos,
    referrals,
    search,
    services,
    start,
    topup,
)


def create_router() -> Router:
    router = Router(name=__name__)
    router.include_routers(
        start.create_router(),
        topup.create_router(),
        pay.create_router(),
        promos.create_router(),
        referrals.create_router(),
        services.create_router(),
        products.create_router(),
        orders.create_router(),
        order_cancel.create_router(),
        balance.create_router(),
        language.create_router(),
        api.create_router(),  # /api: a reseller's key
        dripfeed.create_router(),  # the drip-feed steps of a service order
        ordering.create_router(),  # its steps take plain text: after every command and button
        search.create_router(),  # text typed outside any step: after every step that takes text
    )
    return router
