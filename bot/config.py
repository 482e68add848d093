"""Settings read from the environment and `.env` (pydantic-settings).

Secrets are `SecretStr`: they print as '**********' in reprs, logs and tracebacks.
"""

from __future__ import annotations

import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from payments_api.cryptopay import ASSETS, MAIN_URL
from payments_api.sepay import API_URL as SEPAY_API_URL
from payments_api.vietqr import ACCOUNT, BIN

TELEGRAM_API_URL = "https://api.telegram.org"
Amount = Annotated[Decimal, Field(gt=0, lt=10**12, decimal_places=6)]
DEFAULT_WEB_PORT = 8080
# What Telegram accepts as a webhook's secret_token.
WEBHOOK_SECRET_FORM = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", hide_input_in_errors=True
    )

    bot_token: SecretStr
    telegram_api_url: str = TELEGRAM_API_URL
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    provider_url: str = ""
    provider_key: SecretStr = SecretStr("")
    database_path: Path = Path("data/bot.sqlite3")
    status_poll_seconds: float = Field(default=60, gt=0)
    catalog_sync_minutes: float = Field(default=30, gt=0)
    markup_percent: Decimal = Field(default=Decimal(30), ge=0, le=10_000)
    stuck_order_hours: float = Field(default=24, gt=0)
    support_contact: str = Field(default="", max_length=200)
    # Each person's flood limit in the chat (handlers/throttling.py): a burst of messages and
    # button presses, then this many a second; beyond a few seconds of backlog they are dropped.
    flood_burst: int = Field(default=8, ge=1, le=1000)
    flood_per_second: float = Field(default=4, gt=0, le=1000)
    # Telegram Stars per 1 unit of the panel currency (admins change it with /stars_rate).
    stars_per_unit: Decimal = Field(default=Decimal(50), gt=0, le=1_000_000, decimal_places=6)
    # Share of each top-up (any method) paid to the person who invited the payer, in percent.
    referral_percent: Decimal = Field(default=Decimal(5), ge=0, le=100, decimal_places=6)
    # Serving (README "Running in production"): a public base URL turns webhook mode on.
    webhook_url: str = ""
    webhook_secret: SecretStr = SecretStr("")  # empty: generated once, kept in the database
    web_host: str = "0.0.0.0"  # noqa: S104 - a server in a container listens on every address
    web_port: int | None = Field(default=None, ge=0, le=65535)  # 0: any free port
    metrics_token: SecretStr = SecretStr("")  # empty: /metrics is open
    # The Mini App (miniapp/): how old, in seconds, the data Telegram signed when the person
    # opened it may be before the shop asks them to open it again.
    webapp_auth_max_age: int = Field(default=86_400, ge=60, le=30 * 86_400)

    # ---- top-ups beyond Stars (issue 17): a method whose settings are empty is hidden ----
    # The top-up amount buttons (in the shop's currency), shown where a method's range allows.
    topup_presets: Annotated[tuple[Amount, ...], NoDecode] = (
        Decimal(5), Decimal(10), Decimal(25), Decimal(50),
    )  # fmt: skip
    # The bot's public https base URL, where its web server (WEB_HOST/WEB_PORT) is reachable.
    # Set: payments are learned from webhooks, and polled only as a safety net.
    public_url: str = ""
    crypto_pay_token: SecretStr = SecretStr("")
    crypto_pay_url: str = MAIN_URL
    crypto_pay_assets: Annotated[tuple[str, ...], NoDecode] = ("USDT", "TON", "BTC")
    crypto_pay_min: Amount = Decimal(1)
    crypto_pay_max: Amount = Decimal(10_000)
    crypto_pay_expires_minutes: int = Field(default=60, ge=1, le=44_640)
    crypto_pay_poll_seconds: float = Field(default=15, gt=0)
    bank_bin: str = ""
    bank_account: str = ""
    bank_account_name: str = Field(default="", max_length=100)
    sepay_api_key: SecretStr = SecretStr("")
    bank_min: Amount = Decimal(1)
    bank_max: Amount = Decimal(10_000)
    # A transfer of more than this many times what its request asked waits for an admin.
    bank_overpay_review_multiple: Decimal = Field(
        default=Decimal(2), ge=1, le=1000, decimal_places=6
    )
    # SePay's transactions API, asked on a schedule for transfers the webhook missed; off
    # without a token (Company settings -> API Access on my.sepay.vn).
    sepay_api_token: SecretStr = SecretStr("")
    sepay_api_url: str = SEPAY_API_URL
    sepay_poll_seconds: float = Field(default=300, gt=0)
    # A bank request not paid this long expires: a transfer naming it later waits for an admin.
    bank_request_expires_minutes: int = Field(default=1440, ge=1, le=44_640)
    manual_payment_text: str = Field(default="", max_length=2000)
    # Every top-up method on simulators, for demos (`make run`): no money is real.
    payments_demo: bool = False
    manual_payment_min: Amount = Decimal(1)
    manual_payment_max: Amount = Decimal(10_000)
    # A card request with no proof this long expires (a later proof still reaches the admins).
    manual_request_expires_minutes: int = Field(default=1440, ge=1, le=44_640)

    # ---- selling to resellers (issue 24): the shop's own API v2 at PUBLIC_URL/api/v2 ----
    # off: no API; approved: people an admin grants (/api_grant ID); open: anyone may make a key.
    reseller_api: Literal["off", "approved", "open"] = "off"
    # Requests a second per key (and the burst above it); more answer 429.
    reseller_api_rate: float = Field(default=20, gt=0, le=10_000)
    reseller_api_burst: int = Field(default=60, ge=1, le=100_000)
    # An `add` for a service and link on which the key has an active order is refused, as
    # panels do: a reseller's script that retries after a timeout never orders twice.
    reseller_one_order_per_link: bool = True
    # Tests only: status callbacks may go to 127.0.0.1 (and over http there).
    reseller_callbacks_allow_loopback: bool = False

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: object) -> object:
        """`ADMIN_IDS=1,2` (or spaces) -> (1, 2); an empty value means no admins."""
        if isinstance(value, str):
            parts = value.replace(",", " ").split()
            if not all(part.lstrip("-").isdigit() for part in parts):
                raise ValueError("must be Telegram user ids separated by commas, e.g. 1,2")
            return tuple(int(part) for part in parts)
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("topup_presets", "crypto_pay_assets", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        """`A,B` (or spaces) -> ("A", "B")."""
        if isinstance(value, str):
            return tuple(value.replace(",", " ").split())
        return value

    @field_validator("crypto_pay_assets")
    @classmethod
    def _known_assets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        assets = tuple(dict.fromkeys(asset.upper() for asset in value))
        unknown = [asset for asset in assets if asset not in ASSETS]
        if unknown or not assets:
            raise ValueError(f"must be some of {', '.join(sorted(ASSETS))}, e.g. USDT,TON,BTC")
        return assets

    @field_validator("reseller_api", mode="before")
    @classmethod
    def _mode_in_any_case(cls, value: object) -> object:
        return value.strip().lower() or "off" if isinstance(value, str) else value

    @field_validator("bank_bin")
    @classmethod
    def _bank_bin(cls, value: str) -> str:
        value = value.strip()
        if value and not BIN.match(value):
            raise ValueError("must be the bank's 6-digit BIN, e.g. 970436")
        return value

    @field_validator("bank_account")
    @classmethod
    def _bank_account(cls, value: str) -> str:
        value = value.strip()
        if value and not ACCOUNT.match(value):
            raise ValueError("must be 1 to 19 letters or digits")
        return value

    @model_validator(mode="after")
    def _payment_methods_whole(self) -> Settings:
        bank = [self.bank_bin, self.bank_account, self.bank_account_name.strip()]
        bank.append(self.sepay_api_key.get_secret_value().strip())
        if any(bank) and not all(bank):
            raise ValueError(
                "BANK_BIN, BANK_ACCOUNT, BANK_ACCOUNT_NAME and SEPAY_API_KEY go together: "
                "set all four for bank transfers, or none"
            )
        if self.sepay_api_on and not all(bank):
            raise ValueError(
                "SEPAY_API_TOKEN finds bank transfers the webhook missed: it needs BANK_BIN, "
                "BANK_ACCOUNT, BANK_ACCOUNT_NAME and SEPAY_API_KEY too"
            )
        for name in ("crypto_pay", "bank", "manual_payment"):
            low, high = getattr(self, f"{name}_min"), getattr(self, f"{name}_max")
            if low > high:
                raise ValueError(f"{name.upper()}_MIN must not be above {name.upper()}_MAX")
        return self

    @field_validator("bot_token")
    @classmethod
    def _token_not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("web_port", mode="before")
    @classmethod
    def _empty_port_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_accepts_secret(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if secret and not WEBHOOK_SECRET_FORM.match(secret):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator(
        "telegram_api_url",
        "provider_url",
        "webhook_url",
        "crypto_pay_url",
        "public_url",
        "sepay_api_url",
    )
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @property
    def uses_simulator(self) -> bool:
        return not self.provider_url

    @property
    def crypto_pay_on(self) -> bool:
        return bool(self.crypto_pay_token.get_secret_value().strip())

    @property
    def bank_on(self) -> bool:
        return bool(self.bank_bin)

    @property
    def sepay_api_on(self) -> bool:
        return bool(self.sepay_api_token.get_secret_value().strip())

    @property
    def manual_payment_on(self) -> bool:
        return bool(self.manual_payment_text.strip())

    @property
    def payments_url(self) -> str:
        """Where payment webhooks reach the bot: PUBLIC_URL, else the Telegram webhook's base."""
        return self.public_url or self.webhook_url

    @property
    def uses_webhook(self) -> bool:
        return bool(self.webhook_url)

    @property
    def serves_web(self) -> bool:
        """The web server (webhook, /healthz, /metrics) runs in webhook mode, or when WEB_PORT
        is set (health and metrics of a polling bot)."""
        return self.uses_webhook or self.web_port is not None

    @property
    def miniapp_url(self) -> str:
        """Where Telegram opens the Mini App (PUBLIC_URL/app/), or "" when it is off."""
        return "" if self.miniapp_off_because else f"{self.payments_url}/app/"

    @property
    def miniapp_off_because(self) -> str | None:
        """Why the Mini App is off (for the log), or None when it is on."""
        if not self.payments_url.startswith("https://"):
            return "PUBLIC_URL is not an https:// address (Telegram opens Mini Apps by https only)"
        if not self.serves_web:
            return "the web server does not run (set WEB_PORT, or use webhook mode)"
        return None

    @property
    def listen_port(self) -> int:
        return DEFAULT_WEB_PORT if self.web_port is None else self.web_port

    @property
    def secrets(self) -> list[str]:
        """Every secret setting's value, for the log filter."""
        values = (
            self.bot_token, self.provider_key, self.webhook_secret, self.metrics_token,
            self.crypto_pay_token, self.sepay_api_key, self.sepay_api_token,
        )  # fmt: skip
        return [value.get_secret_value() for value in values if value.get_secret_value()]


def describe_error(error: ValidationError) -> str:
    """One line per bad setting, naming the environment variable, never its value."""
    lines = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"][:1]).upper() or "settings"
        if not item["loc"]:  # a rule across settings: its message names them
            lines.append(item["msg"].removeprefix("Value error, ") + ".")
            continue
        reason = "is required" if item["type"] == "missing" else item["msg"]
        reason = reason.removeprefix("Value error, ")
        lines.append(f"Setting {name} {reason}.")
    return " ".join(lines)


def load_settings() -> Settings:
    """Read settings or end the program with exit code 2 and one clear line."""
    try:
        return Settings()
    except ValidationError as error:
        print(f"Configuration error: {describe_error(error)} See .env.example.", file=sys.stderr)
        raise SystemExit(2) from None
