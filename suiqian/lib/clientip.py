"""The client's address, for the login lockout and the audit log.

Behind the documented reverse proxy every request comes from the proxy; X-Forwarded-For says who is behind
it, but anyone can send that header. So it is believed only when the request comes from an address in
TRUSTED_PROXIES, and read from the right: the first address that is not itself a trusted proxy is the client.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=16)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return address is not None and any(address in n for n in networks)


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    if not networks or not _trusted(_address(remote or ""), networks):
        return remote
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return remote  # a malformed chain: trust nothing in it
        if not _trusted(address, networks):
            return str(address)
    return remote
