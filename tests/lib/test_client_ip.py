"""The client's address: X-Forwarded-For is believed only as far as our own proxies wrote it."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from jinguo.lib.client_ip import client_ip


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    "proxies, remote, forwarded, expected",
    [
        ([], "198.51.100.7", "1.2.3.4", "198.51.100.7"),  # no proxy configured: the header is ignored
        (["127.0.0.1"], "198.51.100.7", "1.2.3.4", "198.51.100.7"),  # not from our proxy: ignored
        (["127.0.0.1"], "127.0.0.1", "198.51.100.7", "198.51.100.7"),
        (["127.0.0.1"], "127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client's own claim is skipped
        (["127.0.0.1", "10.0.0.0/8"], "127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.2.3", "198.51.100.7"),
        (["127.0.0.1"], "127.0.0.1", "not-an-address", "127.0.0.1"),
        (["127.0.0.1"], "127.0.0.1", "", "127.0.0.1"),
        (["::1"], "::1", "2001:db8::5", "2001:db8::5"),
    ],
)
def test_client_ip(settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = proxies
    assert client_ip(_request(remote, forwarded)) == expected
