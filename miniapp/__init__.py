"""The Mini App: the shop in a Telegram web view, on the bot's own web server.

A front door beside the chat (handlers/): its JSON API (api.py) checks who is asking with the
data Telegram signed (auth.py) and calls the same shop services the chat calls (front.py, the
one place that does), so an order placed on either side is the same order. The page itself is
static files (static/), served with a Content-Security-Policy by web.py.
"""
