"""The shop's rules: ordering, the catalog, tracking, payments, promos, referrals, pricing,
alerts. Imports storage and provider, never aiogram (the Telegram side: handlers/ and bot/)."""
