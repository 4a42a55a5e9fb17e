"""$browser, $os and $device_type from a User-Agent, with ua-parser (the uap-core rules, Rust-backed).

Parsing is the slowest step of stamping an event, and a site's visitors share few distinct User-Agents,
so answers are cached per string.
"""

from __future__ import annotations

from functools import lru_cache

import ua_parser

_MOBILE_OS = {"iOS", "Android", "Windows Phone", "BlackBerry OS", "KaiOS"}
_TABLETS = ("iPad", "Tablet", "Kindle", "Nexus 7", "Nexus 9", "Nexus 10", "SM-T")


@lru_cache(maxsize=4096)
def describe(user_agent: str) -> tuple[tuple[str, str], ...]:
    """The properties a browser's User-Agent gives; nothing for SDKs, curl and other non-browsers."""
    if not user_agent.startswith(("Mozilla/", "Opera/")):
        return ()
    result = ua_parser.parse(user_agent)
    browser = result.user_agent.family if result.user_agent else "Other"
    if browser == "Other":
        return ()
    os = result.os.family if result.os else "Other"
    device = result.device.family if result.device else "Other"
    return (("$browser", browser), ("$os", os), ("$device_type", _device_type(os, device)))


def _device_type(os: str, device: str) -> str:
    if device == "Spider":
        return "Bot"
    if any(marker in device for marker in _TABLETS):
        return "Tablet"
    return "Mobile" if os in _MOBILE_OS else "Desktop"
