"""Text messages (verification codes) through a pluggable backend chosen by ``settings.SMS_BACKEND``.

A backend is any class with ``send(phone: str, text: str) -> None``. The default, ``LogBackend``,
writes the message to the log: nothing leaves the machine until a real gateway is configured.
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("jinguo.sms")


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class LogBackend:
    """Writes each message to the ``jinguo.sms`` log instead of sending it."""

    def send(self, phone: str, text: str) -> None:
        logger.warning("SMS to %s: %s", phone, text)


class MemoryBackend:
    """Keeps messages in ``MemoryBackend.outbox`` (for tests and demos)."""

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.outbox.append((phone, text))


def get_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()


def send_sms(phone: str, text: str) -> None:
    get_backend().send(phone, text)
