"""Webhook paths nobody can guess: derived from the secret the service shares with us."""

from __future__ import annotations

import hashlib


def secret_path(secret: str, purpose: str) -> str:
    """32 hex digits of SHA-256(purpose:secret): the path reveals nothing about the secret."""
    return hashlib.sha256(f"{purpose}:{secret}".encode()).hexdigest()[:32]
