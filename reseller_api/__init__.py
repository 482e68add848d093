"""The shop's own API v2 for resellers: other shops, scripts and bots buy from this shop as
from a panel, with a key a person creates with /api. A front door on the handlers' footing:
it calls the shop's services (shop/services.py), never a repository. Mounted on the bot's web
server by the composition root (bot/app.py)."""
