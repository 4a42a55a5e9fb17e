"""What posthog-js asks of a host before it sends events: remote config and feature flags.

Clickpath has no flags, recordings or surveys; saying so plainly lets posthog-js start cleanly, and
listing gzip makes it compress its events (docs/INGESTION.md, from PostHog's RemoteConfig).
"""

from __future__ import annotations

from typing import Any

import orjson

EVENTS_ENDPOINT = "/e/"


def config(token: str) -> dict[str, Any]:
    return {
        "token": token,
        "supportedCompression": ["gzip", "gzip-js"],
        "hasFeatureFlags": False,
        "autocapture_opt_out": False,
        "captureDeadClicks": False,
        "capturePerformance": False,
        "autocaptureExceptions": False,
        "errorTracking": {"autocaptureExceptions": False, "suppressionRules": []},
        "analytics": {"endpoint": EVENTS_ENDPOINT},
        "elementsChainAsString": True,
        "sessionRecording": False,
        "heatmaps": False,
        "surveys": False,
        "productTours": False,
        "defaultIdentifiedOnly": True,
        "siteApps": [],
        "toolbarParams": {},
        "isAuthenticated": False,
    }


def config_js(token: str) -> str:
    """The script form PostHog serves (config.js), read by posthog-js ≥ 1.350 before the JSON route."""
    remote = orjson.dumps({"config": config(token), "siteApps": []}).decode()
    key = orjson.dumps(token).decode()
    return (
        "(function(){window._POSTHOG_REMOTE_CONFIG=window._POSTHOG_REMOTE_CONFIG||{};"
        f"window._POSTHOG_REMOTE_CONFIG[{key}]={remote};}})();"
    )


def flags() -> dict[str, Any]:
    """No flags, in both the v2 (`flags`) and the older (`featureFlags`) shape, plus the config keys
    that posthog-js 1.251–1.349 (/flags/?config=true) and older (/decide/) read from this answer."""
    settings = config("")
    del settings["token"]
    return {
        "flags": {},
        "featureFlags": {},
        "featureFlagPayloads": {},
        "errorsWhileComputingFlags": False,
        "requestId": "00000000-0000-0000-0000-000000000000",
        "config": {"enable_collect_everything": True},
        **settings,
    }
