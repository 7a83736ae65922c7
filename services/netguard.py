"""Outbound HTTP guard (SSRF) for audio_url fetches and webhook deliveries.

Rules: scheme allowlist; the host must resolve only to public addresses unless network.allow_private or the
host / one of its addresses is in network.allowed_hosts (hostnames or CIDRs); the connection goes to the
address that was checked (no DNS rebinding between check and connect); redirects are followed by hand, at most
network.max_redirects, each hop checked again; sizes are capped while streaming; timeouts everywhere.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from services.errors import AudioTooLarge, InputError
from services.settings import NetworkSettings

IP = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlNotAllowed(InputError):
    code = "url_not_allowed"
    http_status = 422
    hint = "use a public http(s) URL; private, loopback and link-local targets are refused"


class FetchFailed(InputError):
    code = "audio_fetch_failed"
    http_status = 422
    hint = "the audio_url could not be downloaded"


@dataclass(frozen=True)
class Target:
    url: str
    host: str
    address: IP


def _host_allowed(host: str, addr: IP, network: NetworkSettings) -> bool:
    for entry in network.allowed_hosts:
        if entry.lower() == host.lower():
            return True
        try:
            if addr in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _is_public(addr: IP) -> bool:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_global and not (addr.is_multicast or addr.is_reserved or addr.is_unspecified)


def check_url(url: str, *, network: NetworkSettings, resolve: bool = True) -> Target | None:
    """Validate a URL; with resolve, also resolve and check every address. Raises UrlNotAllowed."""
    if not isinstance(url, str) or len(url) > 2048:
        raise UrlNotAllowed("URL missing or longer than 2048 characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlNotAllowed(f"malformed URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in network.allowed_schemes:
        raise UrlNotAllowed(f"scheme {scheme or '(none)'!r} is not allowed (allowed: {', '.join(network.allowed_schemes)})")
    host = parts.hostname
    if not host:
        raise UrlNotAllowed("URL has no host")
    if not resolve:
        try:
            addr = ipaddress.ip_address(host)
        except ValueError:
            return None
        if not (network.allow_private or _is_public(addr) or _host_allowed(host, addr, network)):
            raise UrlNotAllowed(f"target {host} is a private, loopback or link-local address")
        return None
    try:
        infos = socket.getaddrinfo(host, port or (443 if scheme == "https" else 80), proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlNotAllowed(f"host {host!r} does not resolve") from exc
    addrs = [ipaddress.ip_address(i[4][0].split("%", 1)[0]) for i in infos]
    if not addrs:
        raise UrlNotAllowed(f"host {host!r} does not resolve")
    for addr in addrs:
        if not (network.allow_private or _is_public(addr) or _host_allowed(host, addr, network)):
            raise UrlNotAllowed(f"target {host} ({addr}) is a private, loopback or link-local address")
    return Target(url=url, host=host, address=addrs[0])


def _pinned(target: Target) -> tuple[str, dict[str, str], dict[str, str]]:
    """URL rewritten to the checked address, Host header and TLS SNI kept on the original name."""
    parts = urlsplit(target.url)
    addr = f"[{target.address}]" if target.address.version == 6 else str(target.address)
    netloc = addr + (f":{parts.port}" if parts.port else "")
    host_header = parts.hostname + (f":{parts.port}" if parts.port else "")
    ext = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), {"Host": host_header}, ext


def timeouts(network: NetworkSettings, total_s: float | None = None) -> httpx.Timeout:
    return httpx.Timeout(total_s or network.fetch_timeout_s, connect=network.connect_timeout_s)


def send(
    client: httpx.Client, method: str, url: str, *, network: NetworkSettings, headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> httpx.Response:
    """One request to a checked, pinned address (no redirects followed)."""
    target = check_url(url, network=network)
    assert target is not None
    pinned, host, ext = _pinned(target)
    req = client.build_request(method, pinned, headers={**(headers or {}), **host}, content=content, extensions=ext)
    return client.send(req, follow_redirects=False)


def fetch_to_file(url: str, dest: Path, *, network: NetworkSettings, max_bytes: int) -> tuple[int, str | None]:
    """Download url into dest (streamed, size-capped, redirects checked). Returns (bytes, content_type)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with httpx.Client(timeout=timeouts(network), trust_env=False) as client:
        current = url
        for _hop in range(network.max_redirects + 1):
            target = check_url(current, network=network)
            assert target is not None
            pinned, host, ext = _pinned(target)
            req = client.build_request("GET", pinned, headers=host, extensions=ext)
            try:
                resp = client.send(req, stream=True, follow_redirects=False)
            except httpx.HTTPError as exc:
                raise FetchFailed(f"could not fetch audio_url: {type(exc).__name__}") from exc
            try:
                if resp.is_redirect:
                    loc = resp.headers.get("location")
                    if not loc:
                        raise FetchFailed("redirect without Location")
                    current = urljoin(current, loc)
                    continue
                if resp.status_code != 200:
                    raise FetchFailed(f"audio_url answered HTTP {resp.status_code}")
                declared = resp.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise AudioTooLarge(f"audio_url is {int(declared)} bytes, the limit is {max_bytes}")
                n = 0
                with open(dest, "wb") as fh:
                    try:
                        for chunk in resp.iter_bytes(65536):
                            n += len(chunk)
                            if n > max_bytes:
                                raise AudioTooLarge(f"audio_url exceeds the limit of {max_bytes} bytes")
                            fh.write(chunk)
                    except httpx.HTTPError as exc:
                        raise FetchFailed(f"download interrupted: {type(exc).__name__}") from exc
                return n, resp.headers.get("content-type")
            finally:
                resp.close()
        raise FetchFailed(f"more than {network.max_redirects} redirects")
