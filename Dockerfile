# The shop bot in a container: `docker compose up -d` (compose.yaml), settings from .env.
# Polling by default; WEBHOOK_URL turns webhook mode on (README "Running in production").
# Verified without Docker by tests/test_container.py (`make container-check`): it runs the
# COPY, RUN, ENV, HEALTHCHECK and CMD lines below in a fresh virtualenv.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_PATH=/data/bot.sqlite3 \
    WEB_HOST=0.0.0.0 \
    WEB_PORT=8080

WORKDIR /app
COPY pyproject.toml requirements.lock README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY miniapp ./miniapp
COPY shop ./shop
COPY storage ./storage
COPY provider ./provider
COPY payments_api ./payments_api
COPY webio ./webio
# The simulated panels `make run` uses without PROVIDER_URL (bot/demo.py).
COPY simulators ./simulators
COPY reseller_api ./reseller_api
# The project with exactly the dependency versions of requirements.lock (no dev tools).
RUN pip install -c requirements.lock .

# A user without privileges owns the data; the database lives on a volume.
RUN useradd --create-home --uid 10001 shop && mkdir -p /data && chown shop:shop /data
USER shop
VOLUME ["/data"]
EXPOSE 8080

# /healthz (bot/healthz.py): 200 when the shop can sell ("ok", or "degraded": a backup panel or
# a payment method failing, worth an alert but no restart), 503 when it cannot.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot.probe"]
CMD ["python", "-m", "bot"]
