from __future__ import annotations

import logging
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.logging_setup import setup_logging

ROOT = Path(__file__).resolve().parent.parent


def run_bot(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "ADMIN_", "PROVIDER_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        env=clean | env | {"PYTHONPATH": str(ROOT)},
        cwd=tmp_path,  # no .env there
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_missing_bot_token_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    result = run_bot({}, tmp_path)
    assert result.returncode == 2
    assert "BOT_TOKEN is required" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_malformed_setting_is_named_and_secret_not_echoed(tmp_path: Path) -> None:
    result = run_bot(
        {"BOT_TOKEN": "123:secret-token-value", "ADMIN_IDS": "12,abc", "PROVIDER_URL": "ftp://x"},
        tmp_path,
    )
    assert result.returncode == 2
    assert "ADMIN_IDS" in result.stderr
    assert "PROVIDER_URL" in result.stderr
    assert "secret-token-value" not in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_parse_and_hide_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123:abcdef")
    monkeypatch.setenv("ADMIN_IDS", "1, 2,3")
    monkeypatch.setenv("PROVIDER_KEY", "panel-secret")
    monkeypatch.setenv("MARKUP_PERCENT", "12.5")
    monkeypatch.setenv("PROVIDER_URL", "https://1dg.me/api/v2/")
    settings = Settings(_env_file=None)
    assert settings.admin_ids == (1, 2, 3)
    assert settings.markup_percent == Decimal("12.5")
    assert settings.provider_url == "https://1dg.me/api/v2"
    assert not settings.uses_simulator
    text = repr(settings) + str(settings)
    assert "123:abcdef" not in text
    assert "panel-secret" not in text


def test_serving_settings() -> None:
    polling = Settings(_env_file=None, bot_token="1:x", web_port="")
    assert (polling.uses_webhook, polling.serves_web, polling.web_port) == (False, False, None)
    health_only = Settings(_env_file=None, bot_token="1:x", web_port="9000")
    assert health_only.serves_web and health_only.listen_port == 9000
    webhook = Settings(
        _env_file=None,
        bot_token="1:x",
        webhook_url="https://bot.example.com/",
        webhook_secret="abc_DEF-123",
        metrics_token="token-value",
    )
    assert webhook.webhook_url == "https://bot.example.com"
    assert webhook.serves_web and webhook.listen_port == 8080
    assert {"abc_DEF-123", "token-value"} <= set(webhook.secrets)
    assert "abc_DEF-123" not in repr(webhook)


def test_a_bad_webhook_secret_is_named_not_echoed(tmp_path: Path) -> None:
    result = run_bot(
        {"BOT_TOKEN": "123:x", "WEBHOOK_URL": "https://x.example", "WEBHOOK_SECRET": "has space!"},
        tmp_path,
    )
    assert result.returncode == 2
    assert "WEBHOOK_SECRET" in result.stderr and "has space" not in result.stderr


def test_the_mini_app_is_on_with_an_https_public_url_and_a_web_server() -> None:
    def settings(**values: object) -> Settings:
        return Settings(_env_file=None, bot_token="1:x", **values)  # type: ignore[arg-type]

    on = settings(public_url="https://shop.example/", web_port=8080)
    assert on.miniapp_url == "https://shop.example/app/" and on.miniapp_off_because is None
    by_webhook = settings(webhook_url="https://bot.example")
    assert by_webhook.miniapp_url == "https://bot.example/app/"
    plain = settings(public_url="http://shop.example", web_port=8080)
    assert plain.miniapp_url == "" and "https://" in (plain.miniapp_off_because or "")
    no_server = settings(public_url="https://shop.example")
    assert no_server.miniapp_url == "" and "WEB_PORT" in (no_server.miniapp_off_because or "")
    assert settings().miniapp_off_because is not None
    assert settings().webapp_auth_max_age == 86_400
    with pytest.raises(ValueError):
        settings(webapp_auth_max_age=0)


def test_the_sepay_api_token_is_a_secret_and_needs_the_bank_settings() -> None:
    bank: dict[str, Any] = {
        "bank_bin": "970436",
        "bank_account": "0071000123456",
        "bank_account_name": "NGUYEN VAN AN",
        "sepay_api_key": "webhook-key-1",
    }
    settings = Settings(_env_file=None, bot_token="1:x", sepay_api_token="api-token-77", **bank)
    assert settings.sepay_api_on and "api-token-77" in settings.secrets
    assert "api-token-77" not in repr(settings)
    assert (settings.bank_request_expires_minutes, settings.manual_request_expires_minutes) == (
        1440,
        1440,
    )
    with pytest.raises(ValidationError, match="SEPAY_API_TOKEN") as raised:
        Settings(_env_file=None, bot_token="1:x", sepay_api_token="api-token-77")
    assert "api-token-77" not in str(raised.value)
    with pytest.raises(ValidationError, match="bank_request_expires_minutes"):
        Settings(_env_file=None, bot_token="1:x", bank_request_expires_minutes=0)


def test_the_log_never_carries_the_databases_statements_with_their_values() -> None:
    """aiosqlite writes each statement and its values at DEBUG: secrets kept in the database
    (reseller callback secrets) would reach the log at LOG_LEVEL=DEBUG."""
    root, before = logging.getLogger(), list(logging.getLogger().handlers)
    try:
        setup_logging(["token-1"], level=logging.DEBUG)
        assert not logging.getLogger("aiosqlite").isEnabledFor(logging.DEBUG)
        assert logging.getLogger("bot").isEnabledFor(logging.DEBUG)
    finally:
        root.handlers[:] = before
        root.setLevel(logging.WARNING)
        logging.getLogger("aiosqlite").setLevel(logging.NOTSET)
