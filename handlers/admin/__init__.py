"""The owner's commands, in the chat. Only ADMIN_IDS get past this package's filter; anyone else
falls through to the customer routers and the unknown-command answer, so the commands' existence
is not revealed. Admin texts are English."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Filter
from aiogram.types import TelegramObject

from handlers.admin import (
    broadcasts,
    dashboard,
    files,
    orders,
    panel_health,
    panel_setup,
    payments,
    people,
    pricing,
    promos,
    resellers,
    reversals,
    routes,
    topups,
)
from handlers.middlewares import LeaveFlowOnCommand
from shop.services import Services
from storage.users import User


class IsAdmin(Filter):
    async def __call__(self, event: TelegramObject, services: Services, person: User) -> bool:
        return services.is_admin(person.id)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.middleware(LeaveFlowOnCommand())
    router.include_routers(
        dashboard.create_router(),
        people.create_router(),
        orders.create_router(),
        pricing.create_router(),
        panel_health.create_router(),
        panel_setup.create_router(),
        routes.create_router(),
        broadcasts.create_router(),
        files.create_router(),
        topups.create_router(),
        payments.create_router(),
        reversals.create_router(),
        promos.create_router(),  # /promo create|list|off; an admin's /promo CODE falls through
        resellers.create_router(),  # /api_grant, /api_revoke, /reseller, /resellers
    )
    return router
