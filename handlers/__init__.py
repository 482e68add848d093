"""The Telegram conversation. `create_root_router()` builds a fresh tree of routers for one
Dispatcher, in the order updates must meet them."""

from __future__ import annotations

from aiogram import Router

from handlers import admin, customer, errors, fallback, payments


def create_root_router() -> Router:
    root = Router(name="root")
    root.include_routers(
        errors.create_router(),  # the last net for every update
        payments.create_router(),  # before every flow's steps: a payment must always get through
        admin.create_router(),  # ADMIN_IDS only; commands customers do not have
        customer.create_router(),
        fallback.create_router(),  # sees only what every other router left
    )
    return root
