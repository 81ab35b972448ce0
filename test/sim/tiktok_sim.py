#!/usr/bin/python3
"""tiktok_sim: a local simulated TikTok API for tiktrack's tests, benchmarks and demo.

Serves, on one port and regardless of the Host header:
  * Login Kit / OAuth v2      GET  /v2/auth/authorize/   POST /v2/oauth/token/   POST /v2/oauth/revoke/
  * Display API v2            GET  /v2/user/info/        POST /v2/video/query/   POST /v2/video/list/
  * Business API v1.3         POST /open_api/v1.3/tt_user/oauth2/{token,refresh_token,revoke}/
                              POST /open_api/v1.3/tt_user/token_info/get/
                              GET  /open_api/v1.3/business/get/   GET /open_api/v1.3/business/video/list/
  * short links               GET  /<CODE>[/]  (vm/vt.tiktok.com)   GET /t/<CODE>[/]  (www.tiktok.com/t/)
                              GET  /@<handle>/video/<id>  (the long page: a small HTML page with og:url and og:title)
  * an admin API              under /_sim/ (see README.md)

Python 3 standard library only.  Run `tiktok_sim.py --help` for the CLI.
"""

import argparse
import base64
import collections
import datetime as _dt
import hashlib
import itertools
import json
import math
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

# ---------------------------------------------------------------------------
# Wire constants
# ---------------------------------------------------------------------------

P_AUTHORIZE = "/v2/auth/authorize/"
P_TOKEN = "/v2/oauth/token/"
P_REVOKE = "/v2/oauth/revoke/"
P_USER_INFO = "/v2/user/info/"
P_VIDEO_QUERY = "/v2/video/query/"
P_VIDEO_LIST = "/v2/video/list/"
BIZ = "/open_api/v1.3"
P_BIZ_TOKEN = BIZ + "/tt_user/oauth2/token/"
P_BIZ_REFRESH = BIZ + "/tt_user/oauth2/refresh_token/"
P_BIZ_REVOKE = BIZ + "/tt_user/oauth2/revoke/"
P_BIZ_TOKEN_INFO = BIZ + "/tt_user/token_info/get/"
P_BIZ_GET = BIZ + "/business/get/"
P_BIZ_VIDEO_LIST = BIZ + "/business/video/list/"

DISPLAY_DATA_PATHS = (P_USER_INFO, P_VIDEO_QUERY, P_VIDEO_LIST)
BIZ_DATA_PATHS = (P_BIZ_GET, P_BIZ_VIDEO_LIST)
TOKEN_AUTH_PATHS = DISPLAY_DATA_PATHS + BIZ_DATA_PATHS
VIDEO_PATHS = (P_VIDEO_QUERY, P_VIDEO_LIST, P_BIZ_VIDEO_LIST)

# Business API error codes used by the simulator.
BIZ_OK = 0
BIZ_NO_PERMISSION = 40001        # business_id does not belong to the token; bad client_id/secret
BIZ_PARAM_ERROR = 40002          # missing/invalid parameter, > 20 video_ids, bad JSON in fields/filters
BIZ_THROTTLED = 40100            # rate limited (QPS/QPM)
BIZ_TOKEN_INVALID = 40105        # access token missing, unknown, expired or revoked
BIZ_REFRESH_INVALID = 40107      # refresh token invalid, expired, rotated away or revoked ("invalid_grant")
BIZ_AUTH_CODE_INVALID = 40131    # auth_code invalid, already used, expired or issued for another API
BIZ_INTERNAL = 50000             # internal error (sent with HTTP 500 by the http_500 fault)

DISPLAY_DEFAULT_SCOPE = "user.info.basic,user.info.profile,user.info.stats,video.list"
BIZ_DEFAULT_SCOPE = ("user.info.basic,user.info.username,user.info.stats,user.account.type,"
                     "user.insights,video.list,video.insights,comment.list")
KNOWN_SCOPES = {
    "user.info.basic", "user.info.profile", "user.info.stats", "user.info.username",
    "user.account.type", "user.insights", "video.list", "video.insights", "video.publish",
    "video.upload", "comment.list", "comment.list.manage", "research.data.basic",
}

USER_FIELD_SCOPE = {
    "open_id": "user.info.basic", "union_id": "user.info.basic", "avatar_url": "user.info.basic",
    "avatar_url_100": "user.info.basic", "avatar_large_url": "user.info.basic",
    "display_name": "user.info.basic",
    "bio_description": "user.info.profile", "profile_deep_link": "user.info.profile",
    "is_verified": "user.info.profile", "username": "user.info.profile",
    "follower_count": "user.info.stats", "following_count": "user.info.stats",
    "likes_count": "user.info.stats", "video_count": "user.info.stats",
}
DISPLAY_VIDEO_FIELDS = (
    "id", "create_time", "cover_image_url", "share_url", "video_description", "duration",
    "height", "width", "title", "embed_html", "embed_link", "like_count", "comment_count",
    "share_count", "view_count", "is_aigc",
)
BIZ_PROFILE_FIELDS = (
    "is_business_account", "profile_image", "username", "profile_deep_link", "display_name",
    "bio_description", "is_verified", "following_count", "followers_count", "total_likes",
    "videos_count",
)
BIZ_AUDIENCE_FIELDS = ("audience_ages", "audience_genders", "audience_countries", "audience_cities")
BIZ_METRIC_FIELDS = (
    "video_views", "unique_video_views", "profile_views", "likes", "comments", "shares",
    "phone_number_clicks", "lead_submissions", "app_download_clicks", "bio_link_clicks",
    "email_clicks", "address_clicks", "daily_total_followers", "daily_new_followers",
    "daily_lost_followers", "followers_count", "audience_activity", "engaged_audience",
)
BIZ_VIDEO_FIELDS = (
    "item_id", "media_type", "is_ad", "thumbnail_url", "share_url", "embed_url", "caption",
    "create_time", "video_duration", "likes", "comments", "shares", "favorites", "reach",
    "video_views", "total_time_watched", "average_time_watched", "full_video_watched_rate",
    "new_followers", "profile_views", "impression_sources", "audience_countries",
    "audience_genders", "audience_types",
)

FAULT_KINDS = (
    "http_429", "rate_limit_exceeded", "biz_40100", "http_500", "malformed_json", "truncated_json",
    "slow", "expired_token", "revoke_refresh", "vanish", "drop_connection", "empty_page",
    "bad_token",
)

ACCESS_CODE_TTL = 600            # auth codes live 10 minutes of sim time
DEFAULT_REFRESH_TTL = 31536000   # 365 days
HANDLE_RE = re.compile(r"^[a-z0-9._]{1,64}$")
SHORT_CODE_RE = re.compile(r"^[A-Za-z0-9]{1,64}$")
VIDEO_ID_RE = re.compile(r"^[0-9]{1,20}$")

_WORDS = ("morning routine", "unboxing", "honest review", "haul", "easy recipe", "tutorial",
          "dance", "challenge accepted", "day in my life", "skincare", "leg day", "travel diary",
          "coffee run", "outfit check", "makeup look", "budget tips", "storytime",
          "the \"best\" dupe", "get ready with me", "5am club", "café vibes", "before/after")
_TAGS = ("#fyp", "#foryou", "#ad", "#sponsored", "#tiktokmademebuyit", "#skincare", "#fitness",
         "#travel", "#foodtok", "#booktok", "#partner", "#gifted", "#summer", "#viral", "#ootd")
_EMOJI = ("", "", "\U0001F525", "\u2728", "\U0001F602", "\u2615", "\U0001F484")
_BRANDS = ("glowlab", "fitfuel", "brew.co", "travelmate", "snackbox")
_COUNTRIES = ("US", "GB", "DE", "FR", "BR", "ID", "MX", "CA", "AU", "IT", "ES", "PH")
_CITIES = ("New York", "London", "Berlin", "Paris", "Sao Paulo", "Jakarta", "Toronto")
_AGES = ("18-24", "25-34", "35-44", "45-54", "55+")
_GENDERS = ("Female", "Male", "Other")
_IMPRESSION_SOURCES = ("For You", "Follow", "Sound", "Personal Profile", "Search", "Hashtag",
                       "Direct Message")


# ---------------------------------------------------------------------------
# Deterministic helpers
# ---------------------------------------------------------------------------

def _h(text):
    return hashlib.sha256(text.encode("utf-8")).digest()


def _unit(digest, i):
    """The i-th 32-bit chunk of a digest as a float in [0, 1)."""
    return int.from_bytes(digest[4 * i:4 * i + 4], "big") / 4294967296.0


def _fractions(digest, labels, offset=0, k=None):
    """Deterministic distribution over labels: [(label, fraction)] rounded to 4 decimals,
    sorted by fraction descending; the fractions sum to 1 (the rounding rest goes to the top)."""
    k = len(labels) if k is None else k
    order = sorted(range(len(labels)), key=lambda i: digest[(offset + i) % len(digest)])[:k]
    weights = [1.0 + digest[(offset + 7 + j) % len(digest)] for j in range(k)]
    total = sum(weights)
    fr = [round(w / total, 4) for w in weights]
    pairs = sorted(zip((labels[i] for i in order), fr), key=lambda p: -p[1])
    rest = round(1.0 - sum(p[1] for p in pairs), 4)
    pairs[0] = (pairs[0][0], round(pairs[0][1] + rest, 4))
    return pairs


class VideoParams:
    """Per-video growth constants, derived from sha256(f"{seed}:{video_id}")."""

    __slots__ = ("v_inf", "tau", "like_ratio", "comment_ratio", "share_ratio", "save_ratio",
                 "completion_rate", "avg_watch_time", "follow_ratio", "profile_view_ratio",
                 "views_fixed")

    def __init__(self, seed, video_id, views_fixed=None):
        self.views_fixed = views_fixed    # admin override: constant lifetime views
        d = _h(f"{seed}:{video_id}")
        self.v_inf = 10000 + int(_unit(d, 0) * 1990001)            # [10_000, 2_000_000]
        self.tau = 7200.0 + _unit(d, 1) * (172800.0 - 7200.0)       # [2 h, 48 h] in seconds
        self.like_ratio = 0.03 + _unit(d, 2) * 0.09                 # 3-12 %
        self.comment_ratio = 0.001 + _unit(d, 3) * 0.009            # 0.1-1 %
        self.share_ratio = 0.001 + _unit(d, 4) * 0.019              # 0.1-2 %
        self.save_ratio = 0.001 + _unit(d, 5) * 0.014               # 0.1-1.5 %
        self.completion_rate = round(0.02 + _unit(d, 6) * 0.58, 4)  # 0.02-0.6
        self.avg_watch_time = round(2.0 + _unit(d, 7) * 18.0, 3)    # 2-20 s
        e = _h(f"{seed}:{video_id}:extra")
        self.follow_ratio = 0.0005 + _unit(e, 0) * 0.0045           # new followers per view
        self.profile_view_ratio = 0.002 + _unit(e, 1) * 0.018

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__}


def video_counts(p, create_time, now):
    """The cumulative counters of a video at time `now` (pure function of its inputs)."""
    age = max(0.0, float(now) - float(create_time))
    if p.views_fixed is not None:
        views = p.views_fixed
    else:
        views = int(math.floor(p.v_inf * (1.0 - math.exp(-age / p.tau))))
    return {
        "views": views,
        "likes": int(math.floor(views * p.like_ratio)),
        "comments": int(math.floor(views * p.comment_ratio)),
        "shares": int(math.floor(views * p.share_ratio)),
        "saves": int(math.floor(views * p.save_ratio)),
        "reach": int(math.floor(views * 0.8)),
        "new_followers": int(math.floor(views * p.follow_ratio)),
        "profile_views": int(math.floor(views * p.profile_view_ratio)),
        "total_time_watched": round(views * p.avg_watch_time, 3),
        "average_time_watched": p.avg_watch_time,
        "full_video_watched_rate": p.completion_rate,
    }


def _utc_day(ts):
    return _dt.datetime.fromtimestamp(int(ts), tz=_dt.timezone.utc).date()


def _day_start(day):
    return _dt.datetime(day.year, day.month, day.day, tzinfo=_dt.timezone.utc).timestamp()


# ---------------------------------------------------------------------------
# Errors raised by endpoint handlers (converted to the right wire shape)
# ---------------------------------------------------------------------------

class DisplayError(Exception):
    """Display API v2 envelope error: {"data":{}, "error":{"code","message","log_id"}}."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class OAuthError(Exception):
    """Flat OAuth v2 error body: {"error","error_description","log_id"} (HTTP 400)."""

    def __init__(self, error, description, status=400):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


class BizError(Exception):
    """Business API error: HTTP 200 (unless told) with {"code": N, "message", "request_id"}."""

    def __init__(self, code, message, status=200):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class AdminError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


# ---------------------------------------------------------------------------
# Clock
# ---------------------------------------------------------------------------

class SimClock:
    """Real time by default; can be frozen at an instant and advanced."""

    def __init__(self):
        self._lock = threading.Lock()
        self._frozen = None

    def now(self):
        with self._lock:
            return time.time() if self._frozen is None else self._frozen

    @property
    def frozen(self):
        with self._lock:
            return self._frozen is not None

    def set(self, now):
        with self._lock:
            self._frozen = None if now is None else float(now)

    def advance(self, seconds):
        """Advance a frozen clock (a running clock is first frozen at the real time)."""
        with self._lock:
            base = time.time() if self._frozen is None else self._frozen
            self._frozen = base + float(seconds)

    def state(self):
        with self._lock:
            frozen = self._frozen is not None
            return {"now": self._frozen if frozen else time.time(), "frozen": frozen}


# ---------------------------------------------------------------------------
# World state
# ---------------------------------------------------------------------------

class Video:
    __slots__ = ("id", "handle", "create_time", "caption", "duration", "views", "_params")

    def __init__(self, vid, handle, create_time, caption, duration, views=None):
        self.id, self.handle, self.create_time = vid, handle, int(create_time)
        self.caption, self.duration, self._params = caption, int(duration), None
        self.views = views

    def params(self, seed):
        if self._params is None:
            self._params = VideoParams(seed, self.id, self.views)
        return self._params

    def share_url(self):
        return f"https://www.tiktok.com/@{self.handle}/video/{self.id}"

    def record(self):
        r = {"id": self.id, "create_time": self.create_time, "caption": self.caption,
             "duration": self.duration, "share_url": self.share_url()}
        if self.views is not None:
            r["views"] = self.views
        return r


class Creator:
    def __init__(self):
        self.handle = self.display_name = self.api = ""
        self.open_id = self.union_id = self.business_id = ""
        self.followers_fixed = None
        self.followers_base = self.following = self.likes_base = 0
        self.is_verified = self.is_business_account = False
        self.bio = ""
        self.audience = {}
        self.videos = []            # newest first
        self.access_token = self.refresh_token = None
        self.scope = ""
        self.auth_code = None


class Token:
    __slots__ = ("value", "kind", "api", "handle", "scope", "issued_at", "expires_at",
                 "revoked", "pair")

    def __init__(self, value, kind, api, handle, scope, issued_at, expires_at, pair=None):
        self.value, self.kind, self.api, self.handle, self.scope = value, kind, api, handle, scope
        self.issued_at, self.expires_at, self.revoked, self.pair = issued_at, expires_at, False, pair


class AuthCode:
    __slots__ = ("code", "handle", "api", "redirect_uri", "challenge", "client_key", "scope",
                 "expires_at", "used")

    def __init__(self, code, handle, api, redirect_uri, challenge, client_key, scope, expires_at):
        self.code, self.handle, self.api, self.redirect_uri = code, handle, api, redirect_uri
        self.challenge, self.client_key, self.scope = challenge, client_key, scope
        self.expires_at, self.used = expires_at, False


class Config:
    def __init__(self, access_ttl=86400, refresh_ttl=DEFAULT_REFRESH_TTL, rate_limit_per_minute=0,
                 latency_ms=0, client_key=None, client_secret=None, biz_client_id=None,
                 biz_client_secret=None):
        self.access_ttl = int(access_ttl)
        self.refresh_ttl = int(refresh_ttl)
        self.rate_limit_per_minute = int(rate_limit_per_minute)
        self.latency_ms = int(latency_ms)
        self.list_page_cap = 0          # > 0: video list pages hold at most this many videos
        self.client_key, self.client_secret = client_key, client_secret
        self.biz_client_id, self.biz_client_secret = biz_client_id, biz_client_secret

    MUTABLE = ("access_ttl", "refresh_ttl", "rate_limit_per_minute", "latency_ms", "list_page_cap")

    def as_dict(self):
        return {"access_ttl": self.access_ttl, "refresh_ttl": self.refresh_ttl,
                "rate_limit_per_minute": self.rate_limit_per_minute, "latency_ms": self.latency_ms,
                "list_page_cap": self.list_page_cap,
                "client_key_checked": self.client_key is not None,
                "biz_client_id_checked": self.biz_client_id is not None}


class GrantError(Exception):
    pass


class World:
    """All simulated state (creators, videos, tokens, codes, short links) behind one lock."""

    def __init__(self, seed, clock, config):
        self.seed = int(seed)
        self.clock = clock
        self.config = config
        self.lock = threading.RLock()
        self._serial = itertools.count(1)     # never reset: keeps tokens unique across resets
        self._log_serial = itertools.count(1)
        self.reset()

    # -- lifecycle ---------------------------------------------------------
    def reset(self):
        with self.lock:
            self.creators = {}          # handle -> Creator (insertion ordered)
            self.by_open_id = {}
            self.by_business_id = {}
            self.videos = {}            # id -> Video
            self.tokens = {}            # token string -> Token
            self.codes = {}             # code -> AuthCode
            self.shortlinks = {}        # code -> video id
            self.shortlink_locations = {}   # code -> verbatim Location (admin override)
            self.dead_shortlinks = set()    # codes that answer 404 (a link TikTok forgot)
            self.wire = {}              # video id -> {wire field: value or RawJson}

    def now(self):
        return self.clock.now()

    def log_id(self):
        n = next(self._log_serial)
        stamp = _dt.datetime.fromtimestamp(int(self.now()), tz=_dt.timezone.utc)
        return stamp.strftime("%Y%m%d%H%M%S") + hashlib.sha256(
            f"{self.seed}:log:{n}".encode()).hexdigest()[:20].upper()

    def _secret(self, tag):
        n = next(self._serial)
        return hashlib.sha256(f"{self.seed}:{tag}:{n}".encode()).hexdigest(), n

    # -- creators ------------------------------------------------------------
    def add_creator(self, spec):
        if not isinstance(spec, dict):
            raise AdminError(400, "creator spec must be an object")
        handle = str(spec.get("handle", "")).strip().lstrip("@").lower()
        if not HANDLE_RE.match(handle):
            raise AdminError(400, "handle must match [a-z0-9._]{1,64}")
        api = spec.get("api", "display")
        if api not in ("display", "business"):
            raise AdminError(400, "api must be 'display' or 'business'")
        with self.lock:
            if handle in self.creators:
                raise AdminError(409, f"creator {handle} already exists")
            for key in ("access_token", "refresh_token"):
                if spec.get(key) is not None and spec[key] in self.tokens:
                    raise AdminError(409, f"{key} already in use")
            c = Creator()
            d = _h(f"{self.seed}:creator:{handle}")
            c.handle, c.api = handle, api
            c.display_name = str(spec.get("display_name") or handle.replace("_", " ").title())
            hx = d.hex()
            c.open_id = f"{hx[0:8]}-{hx[8:12]}-{hx[12:16]}-{hx[16:20]}-{hx[20:32]}"
            c.union_id = f"{hx[32:40]}-{hx[40:44]}-{hx[44:48]}-{hx[48:52]}-{hx[52:64]}"
            c.business_id = "-000" + base64.urlsafe_b64encode(
                _h(f"{self.seed}:business:{handle}")[:24]).decode().rstrip("=")
            if spec.get("followers") is not None:
                c.followers_fixed = int(spec["followers"])
            c.followers_base = int(10 ** (1.7 + _unit(d, 0) * 4.0))          # 50 .. 500k
            c.following = 10 + int(_unit(d, 1) * 1990)
            c.likes_base = int(c.followers_base * (0.5 + _unit(d, 2) * 5.0))
            c.is_verified = _unit(d, 3) < 0.1
            c.is_business_account = bool(spec.get("business_account", _unit(d, 4) < 0.3))
            c.bio = f"hi, I'm {c.display_name} \u2728 collabs: {handle}@example.com"
            c.audience = {
                "countries": [{"country": k, "percentage": v}
                              for k, v in _fractions(d, _COUNTRIES, 5, 5)],
                "genders": [{"gender": k, "percentage": v} for k, v in _fractions(d, _GENDERS, 9)],
                "ages": [{"age": k, "percentage": v} for k, v in _fractions(d, _AGES, 13)],
                "cities": [{"city_name": k, "percentage": v}
                           for k, v in _fractions(d, _CITIES, 17, 4)],
            }
            c.scope = str(spec.get("scope") or (DISPLAY_DEFAULT_SCOPE if api == "display"
                                                else BIZ_DEFAULT_SCOPE))
            self.creators[handle] = c
            self.by_open_id[c.open_id] = c
            self.by_business_id[c.business_id] = c
            try:
                self._add_videos(c, spec.get("videos"), spec.get("video_count", 0))
            except AdminError:
                self._drop_creator(c)
                raise
            self.issue_tokens(c, c.scope, spec.get("access_token"), spec.get("refresh_token"))
            self.mint_code(c)
            return c

    def _drop_creator(self, c):
        for v in c.videos:
            self.videos.pop(v.id, None)
        self.creators.pop(c.handle, None)
        self.by_open_id.pop(c.open_id, None)
        self.by_business_id.pop(c.business_id, None)

    def add_videos(self, handle, videos=None, count=0):
        with self.lock:
            c = self.creators.get(str(handle).lower())
            if c is None:
                raise AdminError(404, f"unknown creator {handle}")
            return self._add_videos(c, videos, count)

    def _add_videos(self, c, videos, count):
        added, added_ids = [], set()
        now = int(self.now())
        if videos is not None:
            if not isinstance(videos, list):
                raise AdminError(400, "videos must be a list")
            for i, spec in enumerate(videos):
                if not isinstance(spec, dict):
                    raise AdminError(400, "each video must be an object")
                salt = f"{c.handle}:{len(c.videos) + len(added)}:{i}"
                ct = int(spec.get("create_time", now - 3600 * (i + 1)))
                vid = spec.get("id")
                if vid is None:
                    vid = self._gen_video_id(ct, salt, extra=added_ids)
                vid = str(vid)
                if not VIDEO_ID_RE.match(vid):
                    raise AdminError(400, f"video id {vid!r} must be a numeric string")
                if vid in self.videos or vid in added_ids:
                    raise AdminError(409, f"video {vid} already exists")
                added_ids.add(vid)
                caption = spec.get("caption")
                if caption is None:
                    caption = self._gen_caption(vid)
                duration = spec.get("duration")
                if duration is None:
                    duration = 5 + int(_unit(_h(f"{self.seed}:{vid}:extra"), 2) * 176)
                views = spec.get("views")
                if views is not None:
                    # constant lifetime views (e.g. beyond 2^53 or 2^63 to test exactness)
                    if isinstance(views, bool) or not re.fullmatch(r"[0-9]{1,20}", str(views)):
                        raise AdminError(400, "views must be a non-negative integer below 2^64")
                    views = int(views)
                    if views >= 2 ** 64:
                        raise AdminError(400, "views must be a non-negative integer below 2^64")
                added.append(Video(vid, c.handle, ct, str(caption), int(duration), views))
        count = int(count or 0)
        if count < 0 or count > 100000:
            raise AdminError(400, "video_count out of range")
        taken = {v.create_time for v in c.videos} | {v.create_time for v in added}
        base = len(c.videos) + len(added)
        for j in range(count):
            salt = f"{c.handle}:{base + j}"
            d = _h(f"{self.seed}:gen:{salt}")
            ct = now - 600 - int(_unit(d, 0) * 10 * 86400)     # within the last ~10 days
            while ct in taken:
                ct -= 1
            taken.add(ct)
            vid = self._gen_video_id(ct, salt, extra=added_ids)
            added_ids.add(vid)
            dur = 5 + int(_unit(_h(f"{self.seed}:{vid}:extra"), 2) * 176)
            added.append(Video(vid, c.handle, ct, self._gen_caption(vid), dur))
        for v in added:
            self.videos[v.id] = v
        c.videos.extend(added)
        c.videos.sort(key=lambda v: (v.create_time, v.id), reverse=True)
        return added

    def _gen_video_id(self, create_time, salt, extra=()):
        # Like real TikTok ids: the upper 32 bits are the creation time, the lower 32 are noise.
        low = int.from_bytes(_h(f"{self.seed}:vid:{salt}")[:4], "big")
        n = (max(0, int(create_time)) << 32) | low
        while str(n) in self.videos or str(n) in extra:
            n += 1
        return str(n)

    def _gen_caption(self, vid):
        d = _h(f"{self.seed}:caption:{vid}")
        words = [_WORDS[d[i] % len(_WORDS)] for i in range(1 + d[3] % 2)]
        tags = sorted({_TAGS[d[4 + i] % len(_TAGS)] for i in range(1 + d[8] % 3)})
        parts = [" ".join(words)]
        emoji = _EMOJI[d[9] % len(_EMOJI)]
        if emoji:
            parts.append(emoji)
        parts.extend(tags)
        if d[10] % 2:
            parts.append("@" + _BRANDS[d[11] % len(_BRANDS)])
        return " ".join(parts)[:150]

    def seed_bulk(self, n, per_creator, business_share, prefix):
        if not (0 <= n <= 100000 and 0 <= per_creator <= 10000 and 0 <= business_share <= 1):
            raise AdminError(400, "seed parameters out of range")
        prefix = str(prefix).lower()
        out = []
        with self.lock:
            i = 0
            while len(out) < n:
                i += 1
                handle = f"{prefix}{i:03d}"
                if handle in self.creators:
                    continue
                k = len(out) + 1
                biz = math.floor(k * business_share + 1e-9) > math.floor((k - 1) * business_share + 1e-9)
                out.append(self.add_creator({"handle": handle, "video_count": per_creator,
                                             "api": "business" if biz else "display"}))
        return out

    # -- derived creator numbers ------------------------------------------------
    def followers_at(self, c, t):
        if c.followers_fixed is not None:
            return c.followers_fixed
        return c.followers_base + sum(
            video_counts(v.params(self.seed), v.create_time, t)["new_followers"] for v in c.videos)

    def likes_at(self, c, t):
        return c.likes_base + sum(
            video_counts(v.params(self.seed), v.create_time, t)["likes"] for v in c.videos)

    def creator_record(self, c, include_videos=True):
        with self.lock:
            rec = {
                "handle": c.handle, "display_name": c.display_name, "api": c.api,
                "open_id": c.open_id, "union_id": c.union_id, "business_id": c.business_id,
                "access_token": c.access_token, "refresh_token": c.refresh_token,
                "scope": c.scope, "auth_code": c.auth_code,
                "followers": self.followers_at(c, self.now()), "following": c.following,
                "likes": self.likes_at(c, self.now()), "video_count": len(c.videos),
                "is_verified": c.is_verified, "is_business_account": c.is_business_account,
                "audience": c.audience if c.api == "business" else None,
            }
            if include_videos:
                rec["videos"] = [v.record() for v in c.videos]
            return rec

    # -- tokens ---------------------------------------------------------------
    def issue_tokens(self, c, scope, access=None, refresh=None):
        """Issue a fresh access/refresh pair for a creator (the creator's 'current' tokens)."""
        with self.lock:
            now = self.now()
            if access is None:
                hx, n = self._secret("access")
                access = (f"act.{hx[:40]}!{n % 10000:04d}.va" if c.api == "display" else hx[:40])
            if refresh is None:
                hx, n = self._secret("refresh")
                refresh = (f"rft.{hx[:40]}!{n % 10000:04d}.va" if c.api == "display"
                           else hx[24:64])
            self.tokens[access] = Token(access, "access", c.api, c.handle, scope, now,
                                        now + self.config.access_ttl, pair=refresh)
            self.tokens[refresh] = Token(refresh, "refresh", c.api, c.handle, scope, now,
                                         now + self.config.refresh_ttl, pair=access)
            c.access_token, c.refresh_token = access, refresh
            return self.tokens[access], self.tokens[refresh]

    def issue_client_token(self):
        with self.lock:
            hx, n = self._secret("client")
            value = f"clt.{hx[:40]}!{n % 10000:04d}.va"
            now = self.now()
            self.tokens[value] = Token(value, "client", "display", None, "", now, now + 7200)
            return self.tokens[value]

    def mint_code(self, c, redirect_uri=None, challenge=None, client_key=None, scope=None):
        with self.lock:
            hx, n = self._secret("code")
            code = f"{hx[:32]}*0!{n}" if c.api == "display" else hx[:40]
            self.codes[code] = AuthCode(code, c.handle, c.api, redirect_uri, challenge, client_key,
                                        scope or c.scope, self.now() + ACCESS_CODE_TTL)
            c.auth_code = code
            return code

    def auth_access(self, value, api):
        """The Creator an access token belongs to, or None if invalid/expired/revoked."""
        if not value:
            return None, None
        with self.lock:
            t = self.tokens.get(value)
            if (t is None or t.kind != "access" or t.api != api or t.revoked
                    or self.now() >= t.expires_at):
                return None, None
            return self.creators.get(t.handle), t

    def exchange_code(self, code, api, redirect_uri, verifier, client_key):
        with self.lock:
            ac = self.codes.get(code)
            if ac is None:
                raise GrantError("authorization code is invalid")
            if ac.used:
                raise GrantError("authorization code has already been used")
            if ac.api != api:
                raise GrantError("authorization code was issued for another API")
            if self.now() >= ac.expires_at:
                raise GrantError("authorization code is expired")
            if ac.redirect_uri is not None and redirect_uri != ac.redirect_uri:
                raise GrantError("redirect_uri does not match the authorization request")
            if ac.client_key is not None and client_key is not None and client_key != ac.client_key:
                raise GrantError("authorization code was issued to another client")
            if ac.challenge is not None:
                if not verifier:
                    raise GrantError("code_verifier is required")
                digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
                accepted = {digest.hex(), base64.urlsafe_b64encode(digest).decode().rstrip("=")}
                if ac.challenge not in accepted:
                    raise GrantError("code_verifier does not match code_challenge")
            c = self.creators.get(ac.handle)
            if c is None:
                raise GrantError("user no longer exists")
            ac.used = True
            c.scope = ac.scope
            return c, self.issue_tokens(c, ac.scope)

    def refresh(self, value, api, kill=False):
        with self.lock:
            t = self.tokens.get(value)
            if t is None or t.kind != "refresh" or t.api != api:
                raise GrantError("refresh token is invalid")
            if t.revoked:
                raise GrantError("refresh token has been revoked or already rotated")
            if self.now() >= t.expires_at:
                raise GrantError("refresh token is expired")
            if kill:
                t.revoked = True
                raise GrantError("refresh token has been revoked")
            c = self.creators.get(t.handle)
            if c is None:
                raise GrantError("user no longer exists")
            t.revoked = True     # rotation: the old refresh token stops working
            return c, self.issue_tokens(c, t.scope)

    def revoke(self, value):
        with self.lock:
            t = self.tokens.get(value)
            if t is None:
                return False
            t.revoked = True
            if t.pair and t.pair in self.tokens:
                self.tokens[t.pair].revoked = True
            return True

    # -- expected values ------------------------------------------------------------
    def expected_video(self, vid, at=None):
        with self.lock:
            v = self.videos.get(str(vid))
            if v is None:
                return None
            c = self.creators[v.handle]
            t = self.now() if at is None else float(at)
            p = v.params(self.seed)
            s = video_counts(p, v.create_time, t)
            return {
                "video_id": v.id, "handle": v.handle, "api": c.api, "at": t,
                "age_seconds": max(0.0, t - v.create_time), "params": p.as_dict(),
                "display": {"id": v.id, "create_time": v.create_time, "duration": v.duration,
                            "view_count": s["views"], "like_count": s["likes"],
                            "comment_count": s["comments"], "share_count": s["shares"]},
                "business": self.biz_video(v, c, t, s),
            }

    def expected_creator(self, handle, at=None):
        with self.lock:
            c = self.creators.get(str(handle).lower())
            if c is None:
                return None
            t = self.now() if at is None else float(at)
            f, lk = self.followers_at(c, t), self.likes_at(c, t)
            return {"handle": c.handle, "api": c.api, "at": t,
                    "display": {"follower_count": f, "following_count": c.following,
                                "likes_count": lk, "video_count": len(c.videos)},
                    "business": {"followers_count": f, "following_count": c.following,
                                 "total_likes": lk, "videos_count": len(c.videos)}}

    # -- wire objects -----------------------------------------------------------
    def _cdn(self, kind, key, now):
        exp = int(now) + 6 * 3600
        sig = hashlib.sha256(f"{self.seed}:{kind}:{key}:{exp}".encode()).hexdigest()[:16]
        return (f"https://p16-sign-va.tiktokcdn.com/obj/tos-maliva-p-0068/{key}~tplv-{kind}.jpeg"
                f"?x-expires={exp}&x-signature={sig}")

    def display_user(self, c, now):
        f = self.followers_at(c, now)
        return {
            "open_id": c.open_id, "union_id": c.union_id,
            "avatar_url": self._cdn("avt", c.open_id[:8], now),
            "avatar_url_100": self._cdn("avt100", c.open_id[:8], now),
            "avatar_large_url": self._cdn("avt1080", c.open_id[:8], now),
            "display_name": c.display_name, "bio_description": c.bio,
            "profile_deep_link": f"https://vm.tiktok.com/{c.open_id[:9].replace('-', 'X')}/",
            "is_verified": c.is_verified, "username": c.handle,
            "follower_count": f, "following_count": c.following,
            "likes_count": self.likes_at(c, now), "video_count": len(c.videos),
        }

    def with_wire(self, vid, fields):
        """A video's answer with its wire overrides (POST /_sim/wire) applied."""
        fields.update(self.wire.get(vid, {}))
        return fields

    def display_video(self, v, now):
        s = video_counts(v.params(self.seed), v.create_time, now)
        share = v.share_url()
        return self.with_wire(v.id, {
            "id": v.id, "create_time": v.create_time, "cover_image_url": self._cdn("cover", v.id, now),
            "share_url": share, "video_description": v.caption[:150], "duration": v.duration,
            "height": 1920, "width": 1080, "title": v.caption[:150],
            "embed_html": (f'<blockquote class="tiktok-embed" cite="{share}" data-video-id="{v.id}">'
                           f'<section></section></blockquote>'),
            "embed_link": f"https://www.tiktok.com/player/v1/{v.id}",
            "like_count": s["likes"], "comment_count": s["comments"], "share_count": s["shares"],
            "view_count": s["views"], "is_aigc": False,
        })

    def biz_video(self, v, c, now, s=None):
        s = s or video_counts(v.params(self.seed), v.create_time, now)
        d = _h(f"{self.seed}:{v.id}:breakdown")
        return self.with_wire(v.id, {
            "item_id": v.id, "media_type": "VIDEO", "is_ad": "#ad" in v.caption,
            "thumbnail_url": self._cdn("thumb", v.id, now), "share_url": v.share_url(),
            "embed_url": f"https://www.tiktok.com/embed/v2/{v.id}", "caption": v.caption,
            "create_time": v.create_time, "video_duration": float(v.duration),
            "likes": s["likes"], "comments": s["comments"], "shares": s["shares"],
            "favorites": s["saves"], "reach": s["reach"], "video_views": s["views"],
            "total_time_watched": s["total_time_watched"],
            "average_time_watched": s["average_time_watched"],
            "full_video_watched_rate": s["full_video_watched_rate"],
            "new_followers": s["new_followers"], "profile_views": s["profile_views"],
            "impression_sources": [{"impression_source": k, "percentage": p}
                                   for k, p in _fractions(d, _IMPRESSION_SOURCES)],
            "audience_countries": c.audience.get("countries", []),
            "audience_genders": c.audience.get("genders", []),
            "audience_types": [{"type": k, "percentage": p} for k, p in
                               _fractions(d, ("NEW_VIEWER", "RETURN_VIEWER"), 3)],
        })

    def biz_daily_metrics(self, c, day, fields):
        t0 = _day_start(day)
        t1 = t0 + 86400
        agg0 = collections.Counter()
        agg1 = collections.Counter()
        for v in c.videos:
            p = v.params(self.seed)
            agg0.update({k: x for k, x in video_counts(p, v.create_time, t0).items()
                         if isinstance(x, int)})
            agg1.update({k: x for k, x in video_counts(p, v.create_time, t1).items()
                         if isinstance(x, int)})
        delta = {k: agg1[k] - agg0[k] for k in set(agg0) | set(agg1)}
        views = delta.get("views", 0)
        new_f = 0 if c.followers_fixed is not None else delta.get("new_followers", 0)
        total_f = self.followers_at(c, t1)
        reg = c.is_business_account
        d = _h(f"{self.seed}:{c.handle}:{day.isoformat()}")
        full = {
            "video_views": views, "unique_video_views": int(views * 0.8),
            "profile_views": delta.get("profile_views", 0),
            "likes": delta.get("likes", 0), "comments": delta.get("comments", 0),
            "shares": delta.get("shares", 0),
            "phone_number_clicks": int(views * 0.0001) if reg else 0,
            "lead_submissions": int(views * 0.00005) if reg else 0,
            "app_download_clicks": int(views * 0.0002) if reg else 0,
            "bio_link_clicks": int(views * 0.001),
            "email_clicks": int(views * 0.0001) if reg else 0,
            "address_clicks": int(views * 0.00005) if reg else 0,
            "daily_total_followers": total_f, "daily_new_followers": new_f,
            "daily_lost_followers": 0, "followers_count": total_f,
            "audience_activity": [{"hour": h, "count": int(total_f * (0.01 + d[h] / 2550.0))}
                                  for h in range(24)],
            "engaged_audience": int(views * 0.05),
        }
        out = {"date": day.isoformat()}
        for f in fields:
            out[f] = full[f]
        return out


# ---------------------------------------------------------------------------
# Fault injection
# ---------------------------------------------------------------------------

class Fault:
    def __init__(self, fid, endpoint, kind, count, retry_after, delay_ms, video_ids, token=None):
        self.id, self.endpoint, self.kind, self.remaining = fid, endpoint, kind, count
        self.retry_after, self.delay_ms, self.video_ids = retry_after, delay_ms, video_ids
        self.token = token
        self.fired = 0

    def as_dict(self):
        return {"id": self.id, "endpoint": self.endpoint, "kind": self.kind,
                "remaining": self.remaining, "fired": self.fired, "retry_after": self.retry_after,
                "delay_ms": self.delay_ms, "video_ids": sorted(self.video_ids)}


class FaultInjector:
    """Queued faults.  Per request the first live fault (in insertion order) whose endpoint
    matches exactly or is '*', and whose kind applies to the request, fires once.  `vanish`
    faults are filters instead: every live matching one applies to each video request."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []
        self._ids = itertools.count(1)

    def add(self, spec):
        if not isinstance(spec, dict):
            raise AdminError(400, "fault spec must be an object")
        kind = spec.get("kind")
        if kind not in FAULT_KINDS:
            raise AdminError(400, f"kind must be one of {', '.join(FAULT_KINDS)}")
        endpoint = spec.get("endpoint", "*")
        if not isinstance(endpoint, str) or not (endpoint == "*" or endpoint.startswith("/")):
            raise AdminError(400, "endpoint must be a path starting with '/' or '*'")
        try:
            count = int(spec.get("count", 1))
            retry_after = int(spec.get("retry_after", 1))
            delay_ms = int(spec.get("delay_ms", 1000))
        except (TypeError, ValueError):
            raise AdminError(400, "count, retry_after and delay_ms must be integers")
        if count == 0 or count < -1:
            raise AdminError(400, "count must be positive or -1")
        ids = spec.get("video_ids", [])
        if not isinstance(ids, list):
            raise AdminError(400, "video_ids must be a list")
        token = spec.get("token")
        if kind == "bad_token" and not isinstance(token, str):
            raise AdminError(400, "a bad_token fault needs the token string to send")
        with self._lock:
            f = Fault(next(self._ids), endpoint, kind, count, retry_after, delay_ms,
                      {str(x) for x in ids}, token)
            self._faults.append(f)
            return f

    def clear(self):
        with self._lock:
            self._faults = []

    def remove(self, fid):
        with self._lock:
            n = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fid]
            return len(self._faults) != n

    def list(self):
        with self._lock:
            return [f.as_dict() for f in self._faults]

    def _consume(self, f):
        f.fired += 1
        if f.remaining > 0:
            f.remaining -= 1
            if f.remaining == 0:
                self._faults.remove(f)

    def take(self, path, applies):
        with self._lock:
            for f in self._faults:
                if f.kind == "vanish" or f.endpoint not in ("*", path) or not applies(f.kind):
                    continue
                self._consume(f)
                return f
            return None

    def vanished(self, path):
        out, fired = set(), []
        with self._lock:
            for f in list(self._faults):
                if f.kind == "vanish" and f.endpoint in ("*", path):
                    out |= f.video_ids
                    fired.append(f)
                    self._consume(f)
        return out, fired


# ---------------------------------------------------------------------------
# Request statistics and rate limiting
# ---------------------------------------------------------------------------

class RequestStats:
    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self.total = 0
            self.per_path = collections.Counter()
            self.per_status = collections.Counter()
            self.faults = collections.Counter()
            self.rate_limited = 0
            self.recent = collections.deque(maxlen=200)

    def record(self, entry, fault_kinds=(), rate_limited=False):
        with self._lock:
            self.total += 1
            self.per_path[entry["path"]] += 1
            self.per_status[str(entry["status"])] += 1
            for k in fault_kinds:
                self.faults[k] += 1
            if rate_limited:
                self.rate_limited += 1
            self.recent.append(entry)

    def snapshot(self):
        with self._lock:
            return {"total": self.total, "per_path": dict(self.per_path),
                    "per_status": dict(self.per_status),
                    "faults_fired": {"total": sum(self.faults.values()), **self.faults},
                    "rate_limited": self.rate_limited, "recent": list(self.recent)}


class RateLimiter:
    """Sliding one-minute window per endpoint path, on the simulated clock."""

    def __init__(self):
        self._lock = threading.Lock()
        self._hits = collections.defaultdict(collections.deque)

    def reset(self):
        with self._lock:
            self._hits.clear()

    def check(self, path, now, limit):
        """None if allowed (and counted), else the Retry-After seconds."""
        if limit <= 0:
            return None
        with self._lock:
            q = self._hits[path]
            while q and q[0] <= now - 60.0:
                q.popleft()
            if len(q) >= limit:
                return max(1, int(math.ceil(q[0] + 60.0 - now)))
            q.append(now)
            return None


# ---------------------------------------------------------------------------
# HTTP plumbing
# ---------------------------------------------------------------------------

class Response:
    __slots__ = ("status", "body", "ctype", "headers", "code")

    def __init__(self, status, body=b"", ctype="application/json; charset=utf-8", headers=None,
                 code=None):
        self.status, self.body, self.ctype = status, body, ctype
        self.headers = headers or []
        self.code = code       # error code for the stats log (Display string / Business int)


class RawJson:
    """A value written into a JSON answer verbatim: `text` (bytes) is the JSON text itself, so
    an answer can carry what a JSON encoder never writes -- a string whose bytes are not UTF-8,
    a number beyond 64 bits or in exponent form."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = bytes(text)

    @classmethod
    def from_spec(cls, spec):
        """A wire override: {"raw": "json text"}, {"raw_hex": "hex bytes of a string"}, or a
        plain JSON value (returned as is)."""
        if isinstance(spec, dict) and set(spec) == {"raw"} and isinstance(spec["raw"], str):
            return cls(spec["raw"].encode("utf-8"))
        if isinstance(spec, dict) and set(spec) == {"raw_hex"} and isinstance(spec["raw_hex"], str):
            try:
                data = bytes.fromhex(spec["raw_hex"])
            except ValueError:
                raise AdminError(400, "raw_hex must be hexadecimal bytes")
            if any(b in b'"\\' or b < 0x20 for b in data):
                raise AdminError(400, "raw_hex bytes must not be quotes, backslashes or control characters")
            return cls(b'"' + data + b'"')
        if isinstance(spec, dict):
            raise AdminError(400, 'a wire field is a JSON value, {"raw": text} or {"raw_hex": hex}')
        return spec


def _json_bytes(obj):
    raws = []

    def placeholder(o):
        if isinstance(o, RawJson):
            raws.append(o.text)
            return f"\x00sim-raw-{len(raws) - 1}\x00"
        raise TypeError(f"not JSON serializable: {type(o).__name__}")

    out = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=placeholder).encode("utf-8")
    for i, text in enumerate(raws):
        out = out.replace(f'"\\u0000sim-raw-{i}\\u0000"'.encode(), text, 1)
    return out


class Request:
    """One parsed request, plus what the fault layer decided for it."""

    def __init__(self, method, path, query, body, headers):
        self.method, self.path, self.query, self.body, self.headers = (
            method, path, query, body, headers)
        self.vanished = set()
        self.kill_refresh = False
        self._json = self._form = None

    def q(self, name, default=None):
        vals = self.query.get(name)
        return vals[0] if vals else default

    def json(self):
        if self._json is None:
            try:
                self._json = json.loads(self.body.decode("utf-8")) if self.body.strip() else {}
            except (UnicodeDecodeError, ValueError):
                self._json = ValueError
        return self._json

    def form(self):
        if self._form is None:
            try:
                self._form = {k: v[0] for k, v in parse_qs(
                    self.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False).items()}
            except UnicodeDecodeError:
                self._form = {}
        return self._form

    def is_refresh_grant(self):
        if self.path == P_BIZ_REFRESH:
            return True
        return self.path == P_TOKEN and self.form().get("grant_type") == "refresh_token"

    def video_id_count(self):
        try:
            if self.path == P_VIDEO_QUERY:
                ids = self.json()["filters"]["video_ids"]
            elif self.path == P_BIZ_VIDEO_LIST and self.q("filters"):
                ids = json.loads(self.q("filters")).get("video_ids", [])
            else:
                return 0
            return len(ids) if isinstance(ids, list) else 0
        except Exception:
            return 0


class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host="127.0.0.1", port=0, seed=1, config=None, tls_cert=None, tls_key=None,
                 verbose=False, quiet=False):
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.config = config or Config()
        self.clock = SimClock()
        self.world = World(seed, self.clock, self.config)
        self.faults = FaultInjector()
        self.stats = RequestStats()
        self.limiter = RateLimiter()
        self.verbose, self.quiet = verbose, quiet
        self.tls = tls_cert is not None
        super().__init__((host, port), SimHandler)
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls_cert, tls_key)
            ctx.set_alpn_protocols(["http/1.1"])
            # The handshake runs in the connection's own thread (see SimHandler.setup).
            self.socket = ctx.wrap_socket(self.socket, server_side=True,
                                          do_handshake_on_connect=False)

    @property
    def port(self):
        return self.server_address[1]

    @property
    def url(self):
        host = self.server_address[0]
        if ":" in host:
            host = f"[{host}]"
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    def handle_error(self, request, client_address):
        # Resets, TLS failures from clients that reject our certificate, etc. are expected.
        if self.verbose:
            super().handle_error(request, client_address)

    def reset(self):
        self.world.reset()
        self.faults.clear()
        self.stats.reset()
        self.limiter.reset()
        self.clock.set(None)


class SimHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tiktok-sim/1.0"
    sys_version = ""
    timeout = 120                      # idle keep-alive connections are reaped
    disable_nagle_algorithm = True

    # -- plumbing ---------------------------------------------------------
    def setup(self):
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("tiktok-sim: %s %s\n" % (self.address_string(), fmt % args))

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_DELETE(self):
        self._handle("DELETE")

    def do_PUT(self):
        self._handle("PUT")

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _send(self, resp):
        reason = self.responses.get(resp.status, ("",))[0]
        lines = [f"HTTP/1.1 {resp.status} {reason}",
                 f"Server: {self.server_version}",
                 f"Date: {self.date_time_string()}"]
        if resp.ctype and (resp.body or resp.status not in (301, 302)):
            lines.append(f"Content-Type: {resp.ctype}")
        lines.append(f"Content-Length: {len(resp.body)}")
        for k, v in resp.headers:
            lines.append(f"{k}: {v}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + resp.body)
        if self.server.verbose:
            self.log_request(resp.status, len(resp.body))

    def _handle(self, method):
        try:
            url = urlsplit(self.path)
            path = url.path or "/"
            query = parse_qs(url.query, keep_blank_values=True)
            body = self._read_body()
        except Exception:
            self.close_connection = True
            self._send(Response(400, b'{"error":"bad request"}'))
            return
        req = Request(method, path, query, body, self.headers)
        try:
            if path == "/_sim" or path.startswith("/_sim/"):
                resp = self._admin(req)
            else:
                resp = self._api(req)
        except Exception:
            if not self.server.quiet:
                traceback.print_exc()
            resp = Response(500, _json_bytes({"data": {}, "error": {
                "code": "internal_error", "message": "simulator bug",
                "log_id": self.server.world.log_id()}}))
        if resp is None:          # drop_connection
            self.close_connection = True
            return
        self._send(resp)

    # -- TikTok API -------------------------------------------------------------
    ROUTES = {
        P_AUTHORIZE: ("GET", "h_authorize"),
        P_TOKEN: ("POST", "h_token"),
        P_REVOKE: ("POST", "h_revoke"),
        P_USER_INFO: ("GET", "h_user_info"),
        P_VIDEO_QUERY: ("POST", "h_video_query"),
        P_VIDEO_LIST: ("POST", "h_video_list"),
        P_BIZ_TOKEN: ("POST", "h_biz_token"),
        P_BIZ_REFRESH: ("POST", "h_biz_refresh"),
        P_BIZ_REVOKE: ("POST", "h_biz_revoke"),
        P_BIZ_TOKEN_INFO: ("POST", "h_biz_token_info"),
        P_BIZ_GET: ("GET", "h_biz_get"),
        P_BIZ_VIDEO_LIST: ("GET", "h_biz_video_list"),
    }

    def _route(self, req):
        """(method, handler) for a TikTok path, or None."""
        hit = self.ROUTES.get(req.path)
        if hit is not None:
            return hit[0], getattr(self, hit[1])
        parts = [p for p in req.path.split("/") if p]
        if len(parts) == 1 and SHORT_CODE_RE.match(parts[0]):
            return ("GET", lambda r: self.h_shortlink(r, parts[0]))
        if len(parts) == 2 and parts[0] == "t" and SHORT_CODE_RE.match(parts[1]):
            return ("GET", lambda r: self.h_shortlink(r, parts[1]))
        if len(parts) == 3 and parts[0].startswith("@") and parts[1] == "video":
            return ("GET", lambda r: self.h_video_page(r, parts[0][1:], parts[2]))
        return None

    def _api(self, req):
        srv = self.server
        world = srv.world
        route = self._route(req)
        fired_kinds, fault_id, rate_limited = [], None, False
        if route is None:
            resp = self.display_error(404, "not_found", f"no such endpoint: {req.path}")
        elif route[0] != req.method:
            resp = self.display_error(405, "invalid_params", f"use {route[0]} for {req.path}")
            resp.headers.append(("Allow", route[0]))
        else:
            if srv.config.latency_ms > 0:
                time.sleep(srv.config.latency_ms / 1000.0)
            retry = srv.limiter.check(req.path, world.now(), srv.config.rate_limit_per_minute)
            if retry is not None:
                rate_limited = True
                resp = self.throttle(req, retry, realistic=True)
            else:
                fault = srv.faults.take(req.path, lambda k: self._applies(k, req))
                if req.path in VIDEO_PATHS:
                    req.vanished, vf = srv.faults.vanished(req.path)
                    fired_kinds.extend(f.kind for f in vf)
                if fault is not None:
                    fired_kinds.append(fault.kind)
                    fault_id = fault.id
                resp = self._apply_fault(req, fault, route[1])
        entry = {"method": req.method, "path": req.path,
                 "status": 0 if resp is None else resp.status,
                 "video_ids": req.video_id_count(), "ts": time.time(), "sim_time": world.now(),
                 "code": None if resp is None else resp.code,
                 "fault": fired_kinds[-1] if fired_kinds else None, "fault_id": fault_id}
        srv.stats.record(entry, fired_kinds, rate_limited)
        return resp

    @staticmethod
    def _applies(kind, req):
        if kind == "revoke_refresh":
            return req.is_refresh_grant()
        if kind == "expired_token":
            return req.path in TOKEN_AUTH_PATHS
        if kind == "biz_40100":
            return req.path.startswith(BIZ + "/")
        if kind == "empty_page":
            return req.path in (P_VIDEO_LIST, P_BIZ_VIDEO_LIST)
        if kind == "bad_token":
            return req.path in (P_TOKEN, P_BIZ_TOKEN, P_BIZ_REFRESH)
        return True

    def _apply_fault(self, req, fault, handler):
        if fault is None:
            return self._call(handler, req)
        k = fault.kind
        biz = req.path.startswith(BIZ + "/")
        if k == "drop_connection":
            return None
        if k == "slow":
            time.sleep(max(0, fault.delay_ms) / 1000.0)
            return self._call(handler, req)
        if k == "http_429":
            return self.throttle(req, fault.retry_after, realistic=False)
        if k == "rate_limit_exceeded":
            return self.throttle(req, fault.retry_after, realistic=True)
        if k == "biz_40100":
            return self.throttle(req, fault.retry_after, realistic=True)
        if k == "http_500":
            if biz:
                return self.biz_error(BIZ_INTERNAL, "Internal service error. Please retry later.",
                                      status=500)
            if req.path in (P_TOKEN, P_REVOKE):
                return self.oauth_error("server_error", "internal server error", status=500)
            return self.display_error(500, "internal_error", "Internal error, please retry.")
        if k == "expired_token":
            if biz:
                return self.biz_error(BIZ_TOKEN_INVALID, "Access token is incorrect or has been revoked.")
            return self.display_error(401, "access_token_invalid",
                                      "The access token is invalid or not found in the request.")
        if k == "revoke_refresh":
            req.kill_refresh = True
            return self._call(handler, req)
        if k == "empty_page":
            return self._empty_page(req, handler, biz)
        if k == "bad_token":
            return self._bad_token(req, handler, fault.token)
        resp = self._call(handler, req)
        if k == "malformed_json":
            resp.status = 200
            resp.ctype = "application/json; charset=utf-8"
            resp.body = b"<html><body><h1>502 Bad Gateway</h1>upstream reset</body></html>"
        elif k == "truncated_json":
            body = resp.body if resp.body else _json_bytes(
                {"data": {}, "error": {"code": "ok", "message": "", "log_id": "x"}})
            resp.status = 200
            resp.body = body[:max(1, len(body) // 2)]
        return resp

    def _bad_token(self, req, handler, token):
        """A successful token answer whose access_token is `token` verbatim (e.g. with CR LF):
        what a client must refuse to put into a header.  Errors pass through unchanged."""
        resp = self._call(handler, req)
        try:
            obj = json.loads(resp.body)
        except ValueError:
            return resp
        target = obj.get("data") if isinstance(obj.get("data"), dict) else obj
        if "access_token" in target:
            target["access_token"] = token
            resp.body = _json_bytes(obj)
        return resp

    def _empty_page(self, req, handler, biz):
        """A successful list answer without videos, has_more true and the cursor NOT advanced
        (the request's cursor, or "now" for the first page): a client must not loop on it."""
        resp = self._call(handler, req)
        try:
            body = json.loads(resp.body)
        except ValueError:
            return resp
        ok = body.get("code") == 0 if biz else body.get("error", {}).get("code") == "ok"
        if resp.status != 200 or not ok:
            return resp
        if biz:
            cur = req.q("cursor")
        else:
            cur = req.json().get("cursor") if isinstance(req.json(), dict) else None
        try:
            cur = int(cur) if cur else 0
        except ValueError:
            cur = 0
        if not cur:
            cur = int(self.server.world.now() * 1000) + 1
        data = {"videos": [], "cursor": cur, "has_more": True}
        return self.biz_ok(data) if biz else self.display_ok(data)

    def _call(self, handler, req):
        try:
            return handler(req)
        except DisplayError as e:
            return self.display_error(e.status, e.code, e.message)
        except OAuthError as e:
            return self.oauth_error(e.error, e.description, e.status)
        except BizError as e:
            return self.biz_error(e.code, e.message, e.status)

    # -- response builders -----------------------------------------------------
    def display_ok(self, data):
        return Response(200, _json_bytes({"data": data, "error": {
            "code": "ok", "message": "", "log_id": self.server.world.log_id()}}), code="ok")

    def display_error(self, status, code, message):
        return Response(status, _json_bytes({"data": {}, "error": {
            "code": code, "message": message, "log_id": self.server.world.log_id()}}), code=code)

    def oauth_error(self, error, description, status=400):
        return Response(status, _json_bytes({"error": error, "error_description": description,
                                             "log_id": self.server.world.log_id()}), code=error)

    def biz_ok(self, data):
        return Response(200, _json_bytes({"code": 0, "message": "OK",
                                          "request_id": self.server.world.log_id(), "data": data}),
                        code=0)

    def biz_error(self, code, message, status=200):
        return Response(status, _json_bytes({"code": code, "message": message,
                                             "request_id": self.server.world.log_id()}), code=code)

    def throttle(self, req, retry_after, realistic):
        hdr = [("Retry-After", str(int(retry_after)))]
        if realistic and req.path.startswith(BIZ + "/"):
            r = self.biz_error(BIZ_THROTTLED, "Too many requests. Request frequency exceeds the "
                               "QPM limit, please retry later.")
        else:
            r = self.display_error(429, "rate_limit_exceeded",
                                   "The API rate limit was exceeded. Please try again later.")
        r.headers.extend(hdr)
        return r

    # -- shared checks -------------------------------------------------------------
    def _bearer(self, req):
        auth = req.headers.get("Authorization") or ""
        if not auth.startswith("Bearer "):
            return None
        return auth[7:].strip()

    def _display_auth(self, req, need_video=False):
        c, tok = self.server.world.auth_access(self._bearer(req), "display")
        if c is None:
            raise DisplayError(401, "access_token_invalid",
                               "The access token is invalid or not found in the request.")
        if need_video and "video.list" not in tok.scope.split(","):
            raise DisplayError(401, "scope_not_authorized",
                               "The user did not authorize the scope required for completing "
                               "this request.")
        return c, tok

    @staticmethod
    def _fields(req, allowed, required=True, default=None):
        raw = req.q("fields")
        if raw is None or not raw.strip():
            if required:
                raise DisplayError(400, "invalid_params", "fields is required")
            raw = default
        fields = [f.strip() for f in raw.split(",") if f.strip()]
        bad = [f for f in fields if f not in allowed]
        if bad:
            raise DisplayError(400, "invalid_params", f"invalid field(s): {','.join(bad)}")
        return list(dict.fromkeys(fields))

    # -- OAuth (Login Kit) ----------------------------------------------------------
    def h_authorize(self, req):
        world = self.server.world
        redirect_uri = req.q("redirect_uri")
        if not redirect_uri or not re.match(r"^https?://[^\s#]+$", redirect_uri) or "#" in redirect_uri:
            return Response(400, _json_bytes({"error": "invalid_request",
                                              "error_description": "redirect_uri is missing or invalid",
                                              "log_id": world.log_id()}), code="invalid_request")
        state = req.q("state")

        def bounce(params):
            if state is not None:
                params["state"] = state
            sep = "&" if "?" in redirect_uri else "?"
            return Response(302, b"", headers=[("Location", redirect_uri + sep + urlencode(params))],
                            code=params.get("error"))

        def fail(error, desc):
            return bounce({"error": error, "error_description": desc})

        client_key = req.q("client_key")
        if not client_key:
            return fail("invalid_request", "client_key is required")
        if self.server.config.client_key is not None and client_key != self.server.config.client_key:
            return fail("invalid_client", "unknown client_key")
        if req.q("response_type") != "code":
            return fail("unsupported_response_type", "response_type must be code")
        scope = req.q("scope")
        if not scope:
            return fail("invalid_request", "scope is required")
        scopes = [s.strip() for s in scope.split(",") if s.strip()]
        if not scopes or any(s not in KNOWN_SCOPES for s in scopes):
            return fail("invalid_scope", "unknown scope")
        challenge, method = req.q("code_challenge"), req.q("code_challenge_method")
        if challenge and method != "S256":
            return fail("invalid_request", "code_challenge_method must be S256")
        if method and not challenge:
            return fail("invalid_request", "code_challenge is required")
        if req.q("sim_deny") in ("1", "true"):
            return fail("access_denied", "the user denied the request")
        with world.lock:
            user = req.q("sim_user")
            if user:
                c = world.creators.get(user.lower().lstrip("@"))
                if c is None:
                    return fail("access_denied", f"unknown sim_user {user}")
            else:
                c = next((x for x in world.creators.values() if x.api == "display"),
                         next(iter(world.creators.values()), None))
                if c is None:
                    return fail("access_denied", "no user is available to authorize")
            granted = ",".join(dict.fromkeys(scopes))
            code = world.mint_code(c, redirect_uri=redirect_uri, challenge=challenge or None,
                                   client_key=client_key, scope=granted)
        return bounce({"code": code, "scopes": granted})

    def _check_client(self, key, secret, biz=False):
        cfg = self.server.config
        want_k, want_s = ((cfg.biz_client_id, cfg.biz_client_secret) if biz
                          else (cfg.client_key, cfg.client_secret))
        if want_k is not None and key != want_k:
            return False
        if want_s is not None and secret != want_s:
            return False
        return True

    def _form_or_fail(self, req):
        ctype = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            raise OAuthError("invalid_request",
                             "Content-Type must be application/x-www-form-urlencoded")
        return req.form()

    def h_token(self, req):
        world = self.server.world
        form = self._form_or_fail(req)
        key, secret = form.get("client_key"), form.get("client_secret")
        grant = form.get("grant_type")
        if not key or not secret:
            raise OAuthError("invalid_request", "client_key and client_secret are required")
        if not self._check_client(key, secret):
            raise OAuthError("invalid_client", "Client key or secret is incorrect.")
        if not grant:
            raise OAuthError("invalid_request", "grant_type is required")
        try:
            if grant == "authorization_code":
                code, redirect_uri = form.get("code"), form.get("redirect_uri")
                if not code or not redirect_uri:
                    raise OAuthError("invalid_request", "code and redirect_uri are required")
                c, (acc, ref) = world.exchange_code(code, "display", redirect_uri,
                                                    form.get("code_verifier"), key)
            elif grant == "refresh_token":
                rt = form.get("refresh_token")
                if not rt:
                    raise OAuthError("invalid_request", "refresh_token is required")
                c, (acc, ref) = world.refresh(rt, "display", kill=req.kill_refresh)
            elif grant == "client_credentials":
                t = world.issue_client_token()
                return Response(200, _json_bytes({"access_token": t.value, "expires_in": 7200,
                                                  "token_type": "Bearer"}))
            else:
                raise OAuthError("unsupported_grant_type", f"grant_type {grant} is not supported")
        except GrantError as e:
            raise OAuthError("invalid_grant", str(e))
        now = world.now()
        return Response(200, _json_bytes({
            "access_token": acc.value, "expires_in": int(round(acc.expires_at - now)),
            "open_id": c.open_id, "refresh_expires_in": int(round(ref.expires_at - now)),
            "refresh_token": ref.value, "scope": acc.scope, "token_type": "Bearer"}))

    def h_revoke(self, req):
        form = self._form_or_fail(req)
        key, secret = form.get("client_key"), form.get("client_secret")
        if not key or not secret:
            raise OAuthError("invalid_request", "client_key and client_secret are required")
        if not self._check_client(key, secret):
            raise OAuthError("invalid_client", "Client key or secret is incorrect.")
        token = form.get("token") or form.get("access_token")
        if not token:
            raise OAuthError("invalid_request", "token is required")
        self.server.world.revoke(token)
        return Response(200, b"")

    # -- Display API ------------------------------------------------------------------
    def h_user_info(self, req):
        c, tok = self._display_auth(req)
        fields = self._fields(req, USER_FIELD_SCOPE)
        scopes = set(tok.scope.split(","))
        missing = sorted({USER_FIELD_SCOPE[f] for f in fields} - scopes)
        if missing:
            raise DisplayError(400, "scope_permission_missed",
                               f"fields need scope(s) not granted: {','.join(missing)}")
        world = self.server.world
        with world.lock:
            full = world.display_user(c, world.now())
        return self.display_ok({"user": {f: full[f] for f in fields}})

    def _json_body(self, req):
        body = req.json()
        if body is ValueError or not isinstance(body, dict):
            raise DisplayError(400, "invalid_params", "request body must be a JSON object")
        return body

    def h_video_query(self, req):
        c, _ = self._display_auth(req, need_video=True)
        fields = self._fields(req, DISPLAY_VIDEO_FIELDS)
        body = self._json_body(req)
        filters = body.get("filters")
        ids = filters.get("video_ids") if isinstance(filters, dict) else None
        if not isinstance(ids, list) or not ids:
            raise DisplayError(400, "invalid_params", "filters.video_ids must be a non-empty list")
        if len(ids) > 20:
            raise DisplayError(400, "invalid_params", "filters.video_ids can hold at most 20 ids")
        if not all(isinstance(x, str) for x in ids):
            raise DisplayError(400, "invalid_params", "filters.video_ids must be strings")
        world = self.server.world
        out = []
        with world.lock:
            now = world.now()
            for vid in dict.fromkeys(ids):
                v = world.videos.get(vid)
                if v is None or v.handle != c.handle or vid in req.vanished:
                    continue
                full = world.display_video(v, now)
                out.append({f: full[f] for f in fields})
        return self.display_ok({"videos": out})

    @staticmethod
    def _page(videos, cursor_ms, max_count, vanished, cap=0):
        # cap > 0 imitates TikTok's filtering: fewer than max_count videos, has_more still true
        live = [v for v in videos if v.id not in vanished and v.create_time * 1000 < cursor_ms]
        page = live[:min(max_count, cap) if cap > 0 else max_count]
        next_cursor = page[-1].create_time * 1000 if page else cursor_ms
        return page, next_cursor, len(live) > len(page)

    def h_video_list(self, req):
        c, _ = self._display_auth(req, need_video=True)
        fields = self._fields(req, DISPLAY_VIDEO_FIELDS, required=False, default="id")
        body = self._json_body(req)
        max_count = body.get("max_count", 10)
        cursor = body.get("cursor")
        if isinstance(max_count, bool) or not isinstance(max_count, int) or not 1 <= max_count <= 20:
            raise DisplayError(400, "invalid_params", "max_count must be an integer in 1..20")
        if cursor is not None and (isinstance(cursor, bool) or not isinstance(cursor, int)
                                   or cursor < 0):
            raise DisplayError(400, "invalid_params", "cursor must be a non-negative integer")
        world = self.server.world
        with world.lock:
            now = world.now()
            cur = cursor if cursor else int(now * 1000) + 1
            page, nxt, more = self._page(c.videos, cur, max_count, req.vanished,
                                         self.server.config.list_page_cap)
            out = []
            for v in page:
                full = world.display_video(v, now)
                out.append({f: full[f] for f in fields})
        return self.display_ok({"videos": out, "cursor": nxt, "has_more": more})

    # -- Business API -------------------------------------------------------------------
    def _biz_json(self, req):
        body = req.json()
        if body is ValueError or not isinstance(body, dict):
            raise BizError(BIZ_PARAM_ERROR, "Request body must be a JSON object.")
        return body

    def _biz_client(self, body, id_key="client_id", secret_key="client_secret"):
        key, secret = body.get(id_key), body.get(secret_key)
        if not key or not secret:
            raise BizError(BIZ_PARAM_ERROR, f"{id_key} and {secret_key} are required.")
        if not self._check_client(key, secret, biz=True):
            raise BizError(BIZ_NO_PERMISSION, "No permission: client_id or client_secret is incorrect.")

    def _biz_token_data(self, c, acc, ref):
        now = self.server.world.now()
        return {"access_token": acc.value, "expires_in": int(round(acc.expires_at - now)),
                "open_id": c.business_id, "refresh_token": ref.value,
                "refresh_token_expires_in": int(round(ref.expires_at - now)),
                "scope": acc.scope, "token_type": "Bearer"}

    def h_biz_token(self, req):
        body = self._biz_json(req)
        self._biz_client(body)
        if body.get("grant_type") != "authorization_code":
            raise BizError(BIZ_PARAM_ERROR, "grant_type must be authorization_code.")
        code, redirect_uri = body.get("auth_code"), body.get("redirect_uri")
        if not code or not redirect_uri:
            raise BizError(BIZ_PARAM_ERROR, "auth_code and redirect_uri are required.")
        try:
            c, (acc, ref) = self.server.world.exchange_code(
                code, "business", redirect_uri, body.get("code_verifier"), None)
        except GrantError as e:
            raise BizError(BIZ_AUTH_CODE_INVALID, f"Authorization code is invalid or expired: {e}.")
        return self.biz_ok(self._biz_token_data(c, acc, ref))

    def h_biz_refresh(self, req):
        body = self._biz_json(req)
        self._biz_client(body)
        if body.get("grant_type") != "refresh_token":
            raise BizError(BIZ_PARAM_ERROR, "grant_type must be refresh_token.")
        rt = body.get("refresh_token")
        if not rt:
            raise BizError(BIZ_PARAM_ERROR, "refresh_token is required.")
        try:
            c, (acc, ref) = self.server.world.refresh(rt, "business", kill=req.kill_refresh)
        except GrantError as e:
            raise BizError(BIZ_REFRESH_INVALID, f"invalid_grant: {e}.")
        return self.biz_ok(self._biz_token_data(c, acc, ref))

    def h_biz_revoke(self, req):
        body = self._biz_json(req)
        self._biz_client(body)
        tok = body.get("access_token")
        if not tok:
            raise BizError(BIZ_PARAM_ERROR, "access_token is required.")
        self.server.world.revoke(tok)
        return self.biz_ok({})

    def h_biz_token_info(self, req):
        body = self._biz_json(req)
        if not body.get("app_id") or not body.get("access_token"):
            raise BizError(BIZ_PARAM_ERROR, "app_id and access_token are required.")
        c, tok = self.server.world.auth_access(body["access_token"], "business")
        if c is None:
            raise BizError(BIZ_TOKEN_INVALID, "Access token is incorrect or has been revoked.")
        return self.biz_ok({"app_id": body["app_id"], "creator_id": c.business_id,
                            "scope": tok.scope})

    def _biz_auth(self, req):
        c, tok = self.server.world.auth_access(req.headers.get("Access-Token"), "business")
        if c is None:
            raise BizError(BIZ_TOKEN_INVALID, "Access token is incorrect or has been revoked.")
        bid = req.q("business_id")
        if not bid:
            raise BizError(BIZ_PARAM_ERROR, "business_id is required.")
        if bid != c.business_id:
            raise BizError(BIZ_NO_PERMISSION,
                           "No permission to operate on this business_id with this access token.")
        return c, tok

    @staticmethod
    def _biz_json_param(req, name, kind, default):
        raw = req.q(name)
        if raw is None or raw == "":
            return default
        try:
            val = json.loads(raw)
        except ValueError:
            raise BizError(BIZ_PARAM_ERROR, f"{name} must be JSON-encoded.")
        if not isinstance(val, kind):
            raise BizError(BIZ_PARAM_ERROR, f"{name} has the wrong JSON type.")
        return val

    def _biz_fields(self, req, allowed, default):
        fields = self._biz_json_param(req, "fields", list, default)
        if not all(isinstance(f, str) for f in fields):
            raise BizError(BIZ_PARAM_ERROR, "fields must be a JSON array of strings.")
        bad = [f for f in fields if f not in allowed]
        if bad:
            raise BizError(BIZ_PARAM_ERROR, f"Invalid field(s): {', '.join(bad)}.")
        return list(dict.fromkeys(fields))

    def h_biz_get(self, req):
        world = self.server.world
        c, _ = self._biz_auth(req)
        fields = self._biz_fields(req, BIZ_PROFILE_FIELDS + BIZ_AUDIENCE_FIELDS + BIZ_METRIC_FIELDS,
                                  ["display_name", "profile_image"])
        now = world.now()
        today = _utc_day(now)

        def parse_date(name, default):
            raw = req.q(name)
            if not raw:
                return default
            try:
                return _dt.date.fromisoformat(raw) if re.match(r"^\d{4}-\d{2}-\d{2}$", raw) else None
            except ValueError:
                return None

        start = parse_date("start_date", today - _dt.timedelta(days=7))
        end = parse_date("end_date", today - _dt.timedelta(days=1))
        if start is None or end is None:
            raise BizError(BIZ_PARAM_ERROR, "start_date/end_date must be YYYY-MM-DD.")
        if start > end:
            raise BizError(BIZ_PARAM_ERROR, "start_date must not be after end_date.")
        if start < today - _dt.timedelta(days=60):
            raise BizError(BIZ_PARAM_ERROR, "start_date can be at most 60 days ago.")
        data = {}
        with world.lock:
            followers = world.followers_at(c, now)
            profile = {
                "is_business_account": c.is_business_account,
                "profile_image": world._cdn("avt", c.open_id[:8], now), "username": c.handle,
                "profile_deep_link": f"https://www.tiktok.com/@{c.handle}",
                "display_name": c.display_name, "bio_description": c.bio,
                "is_verified": c.is_verified, "following_count": c.following,
                "followers_count": followers, "total_likes": world.likes_at(c, now),
                "videos_count": len(c.videos),
            }
            aud = c.audience if followers >= 100 else {}
            for f in fields:
                if f in profile:
                    data[f] = profile[f]
                elif f in BIZ_AUDIENCE_FIELDS:
                    data[f] = aud.get(f[len("audience_"):], [])
            mfields = [f for f in fields if f in BIZ_METRIC_FIELDS]
            if mfields:
                last = min(end, today - _dt.timedelta(days=1))   # metrics lag a day or more
                metrics, d = [], start
                while d <= last:
                    metrics.append(world.biz_daily_metrics(c, d, mfields))
                    d += _dt.timedelta(days=1)
                data["metrics"] = metrics
        return self.biz_ok(data)

    def h_biz_video_list(self, req):
        world = self.server.world
        c, _ = self._biz_auth(req)
        fields = self._biz_fields(req, BIZ_VIDEO_FIELDS, ["item_id"])
        filters = self._biz_json_param(req, "filters", dict, {})
        ids = filters.get("video_ids")
        if ids is not None:
            if not isinstance(ids, list) or not all(isinstance(x, str) for x in ids):
                raise BizError(BIZ_PARAM_ERROR, "filters.video_ids must be a list of strings.")
            if len(ids) > 20:
                raise BizError(BIZ_PARAM_ERROR, "filters.video_ids can hold at most 20 ids.")
        try:
            max_count = int(req.q("max_count", "10"))
            cursor = int(req.q("cursor")) if req.q("cursor") else None
        except ValueError:
            raise BizError(BIZ_PARAM_ERROR, "max_count and cursor must be integers.")
        if not 1 <= max_count <= 20:
            raise BizError(BIZ_PARAM_ERROR, "max_count must be between 1 and 20.")
        with world.lock:
            now = world.now()
            cur = cursor if cursor else int(now * 1000) + 1
            if ids:
                wanted = set(ids)
                page = [v for v in c.videos if v.id in wanted and v.id not in req.vanished]
                nxt, more = cur, False
            else:
                page, nxt, more = self._page(c.videos, cur, max_count, req.vanished,
                                             self.server.config.list_page_cap)
            if filters.get("ad_post_only"):
                page = [v for v in page if "#ad" in v.caption]
            out = []
            for v in page:
                full = world.biz_video(v, c, now)
                out.append({f: full[f] for f in fields})
        return self.biz_ok({"videos": out, "cursor": nxt, "has_more": more})

    # -- short links ------------------------------------------------------------------------
    def h_shortlink(self, req, code):
        world = self.server.world
        with world.lock:
            vid = world.shortlinks.get(code)
            v = world.videos.get(vid) if vid else None
            custom = world.shortlink_locations.get(code)
            if code in world.dead_shortlinks:
                v = custom = None
        if custom is not None:
            return Response(301, b"", headers=[("Location", custom)])
        if v is None:
            return Response(404, b"Not Found", ctype="text/plain; charset=utf-8", code="not_found")
        t = hashlib.sha256(f"{world.seed}:t:{code}".encode()).hexdigest()[:12]
        loc = f"https://www.tiktok.com/@{v.handle}/video/{v.id}?_r=1&_t={t}"
        return Response(301, b"", headers=[("Location", loc)])

    def h_video_page(self, req, handle, vid):
        world = self.server.world
        with world.lock:
            v = world.videos.get(vid)
        if v is None or v.handle != handle.lower():
            return Response(404, b"Not Found", ctype="text/plain; charset=utf-8", code="not_found")
        esc = v.caption.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
        html = (f'<!DOCTYPE html><html><head><meta property="og:url" content="{v.share_url()}">'
                f'<meta property="og:title" content="{esc}"></head><body>{esc}</body></html>')
        return Response(200, html.encode("utf-8"), ctype="text/html; charset=utf-8")

    # -- admin API ------------------------------------------------------------------------
    def _admin(self, req):
        srv = self.server
        world = srv.world
        try:
            body = req.json() if req.method in ("POST", "PUT") else {}
            if body is ValueError:
                raise AdminError(400, "body must be JSON")
            if body is None:
                body = {}
            key = (req.method, req.path.rstrip("/"))
            fn = {
                ("GET", "/_sim/health"): lambda: {"ok": True, "url": srv.url},
                ("POST", "/_sim/reset"): self.a_reset,
                ("GET", "/_sim/clock"): srv.clock.state,
                ("POST", "/_sim/clock"): lambda: self.a_clock(body),
                ("GET", "/_sim/config"): srv.config.as_dict,
                ("POST", "/_sim/config"): lambda: self.a_config(body),
                ("GET", "/_sim/creators"): lambda: [world.creator_record(c) for c in
                                                    list(world.creators.values())],
                ("POST", "/_sim/creators"): lambda: world.creator_record(world.add_creator(body)),
                ("POST", "/_sim/videos"): lambda: self.a_videos(body),
                ("POST", "/_sim/auth_code"): lambda: self.a_auth_code(body),
                ("POST", "/_sim/seed"): lambda: self.a_seed(body),
                ("GET", "/_sim/expected"): lambda: self.a_expected(req),
                ("GET", "/_sim/faults"): srv.faults.list,
                ("POST", "/_sim/faults"): lambda: srv.faults.add(body).as_dict(),
                ("DELETE", "/_sim/faults"): lambda: (srv.faults.clear(), {"cleared": True})[1],
                ("GET", "/_sim/stats"): srv.stats.snapshot,
                ("POST", "/_sim/stats/reset"): lambda: (srv.stats.reset(), {"reset": True})[1],
                ("GET", "/_sim/shortlinks"): lambda: dict(world.shortlinks),
                ("POST", "/_sim/shortlinks"): lambda: self.a_shortlink(body),
                ("GET", "/_sim/wire"): lambda: self.a_wire_list(),
                ("POST", "/_sim/wire"): lambda: self.a_wire(body),
                ("DELETE", "/_sim/wire"): lambda: self.a_wire_clear(),
            }.get(key)
            if fn is None:
                m = re.match(r"^/_sim/faults/(\d+)$", req.path.rstrip("/"))
                if m and req.method == "DELETE":
                    ok = srv.faults.remove(int(m.group(1)))
                    if not ok:
                        raise AdminError(404, "no such fault")
                    return Response(200, _json_bytes({"deleted": int(m.group(1))}))
                raise AdminError(404, f"no admin endpoint {req.method} {req.path}")
            return Response(200, _json_bytes(fn()))
        except AdminError as e:
            return Response(e.status, _json_bytes({"error": e.message}))
        except (TypeError, ValueError, KeyError, AttributeError) as e:
            return Response(400, _json_bytes({"error": f"bad request: {e}"}))

    def a_reset(self):
        self.server.reset()
        return {"reset": True, "seed": self.server.world.seed}

    def a_clock(self, body):
        clock = self.server.clock
        if not isinstance(body, dict):
            raise AdminError(400, "body must be an object")
        if "now" in body:
            clock.set(body["now"])
        if "advance" in body:
            clock.advance(body["advance"])
        return clock.state()

    def a_config(self, body):
        cfg = self.server.config
        for k, v in body.items():
            if k not in Config.MUTABLE:
                raise AdminError(400, f"unknown config key {k}")
            setattr(cfg, k, int(v))
        if "rate_limit_per_minute" in body:
            self.server.limiter.reset()
        return cfg.as_dict()

    def a_videos(self, body):
        added = self.server.world.add_videos(body.get("handle", ""), body.get("videos"),
                                             body.get("video_count", 0))
        return [v.record() for v in added]

    def a_auth_code(self, body):
        world = self.server.world
        with world.lock:
            c = world.creators.get(str(body.get("handle", "")).lower())
            if c is None:
                raise AdminError(404, "unknown creator")
            code = world.mint_code(c, body.get("redirect_uri"), body.get("code_challenge"),
                                   body.get("client_key"), body.get("scope"))
        return {"handle": c.handle, "api": c.api, "auth_code": code}

    def a_seed(self, body):
        world = self.server.world
        made = world.seed_bulk(int(body.get("creators", 30)), int(body.get("videos_per_creator", 4)),
                               float(body.get("business_share", 0.3)),
                               body.get("prefix", "creator"))
        inc = bool(body.get("include_videos", True))
        return [world.creator_record(c, include_videos=inc) for c in made]

    def a_expected(self, req):
        world = self.server.world
        at = req.q("at")
        at = float(at) if at else None
        if req.q("video_id"):
            out = world.expected_video(req.q("video_id"), at)
        elif req.q("handle"):
            out = world.expected_creator(req.q("handle"), at)
        else:
            raise AdminError(400, "video_id or handle is required")
        if out is None:
            raise AdminError(404, "unknown video or creator")
        return out

    def a_wire(self, body):
        """Overrides fields of a video in every answer that carries it (Display query/list,
        Business list), under their wire names: {"video_id", "fields": {name: value}}; a value
        is any JSON value, {"raw": "json text"} (written verbatim) or {"raw_hex": "..."} (a
        string of exactly those bytes, e.g. invalid UTF-8).  A null value removes the override."""
        world = self.server.world
        vid = str(body.get("video_id", ""))
        fields = body.get("fields")
        if not isinstance(fields, dict) or not fields:
            raise AdminError(400, "fields must be a non-empty object")
        with world.lock:
            if vid not in world.videos:
                raise AdminError(404, f"unknown video {vid}")
            over = world.wire.setdefault(vid, {})
            for name, spec in fields.items():
                if spec is None:
                    over.pop(name, None)
                else:
                    over[str(name)] = RawJson.from_spec(spec)
            if not over:
                world.wire.pop(vid, None)
            return {"video_id": vid, "fields": sorted(over)}

    def a_wire_list(self):
        world = self.server.world
        with world.lock:
            return {vid: sorted(f) for vid, f in world.wire.items()}

    def a_wire_clear(self):
        world = self.server.world
        with world.lock:
            world.wire.clear()
        return {"cleared": True}

    def a_shortlink(self, body):
        world = self.server.world
        if body.get("dead"):
            # a short link TikTok answers 404 for, whatever it once named
            code = str(body.get("code", ""))
            if not SHORT_CODE_RE.match(code) or code == "t":
                raise AdminError(400, "a dead short link needs an alphanumeric code")
            with world.lock:
                world.dead_shortlinks.add(code)
            return {"code": code, "dead": True,
                    "urls": [f"https://vm.tiktok.com/{code}/", f"https://vt.tiktok.com/{code}/",
                             f"https://www.tiktok.com/t/{code}/"]}
        vid = str(body.get("video_id", ""))
        location = body.get("location")
        if location is not None:
            # a verbatim Location (e.g. a non-TikTok host) instead of the video's page
            if (not isinstance(location, str) or not location or len(location) > 2048
                    or any(ch in location for ch in "\r\n")):
                raise AdminError(400, "location must be a one-line string of 1..2048 characters")
            if "code" not in body:
                raise AdminError(400, "a short link with a custom location needs a code")
        with world.lock:
            v = world.videos.get(vid)
            if v is None and location is None:
                raise AdminError(404, f"unknown video {vid}")
            code = body.get("code")
            if code is None:
                code = "ZM" + base64.b32encode(_h(f"{world.seed}:short:{vid}")[:5]).decode().rstrip("=")
            code = str(code)
            if not SHORT_CODE_RE.match(code) or code == "t":
                raise AdminError(400, "code must be alphanumeric")
            if location is not None:
                world.shortlink_locations[code] = location
                world.shortlinks.pop(code, None)
                return {"code": code, "location": location,
                        "urls": [f"https://vm.tiktok.com/{code}/", f"https://vt.tiktok.com/{code}/",
                                 f"https://www.tiktok.com/t/{code}/"]}
            world.shortlinks[code] = vid
            world.shortlink_locations.pop(code, None)
            world.dead_shortlinks.discard(code)
        return {"code": code, "video_id": vid, "handle": v.handle,
                "location_prefix": f"https://www.tiktok.com/@{v.handle}/video/{vid}",
                "urls": [f"https://vm.tiktok.com/{code}/", f"https://vt.tiktok.com/{code}/",
                         f"https://www.tiktok.com/t/{code}/"]}


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------

def make_server(host="127.0.0.1", port=0, seed=1, tls_cert=None, tls_key=None, access_ttl=86400,
                rate_limit_per_minute=0, latency_ms=0, client_key=None, client_secret=None,
                biz_client_id=None, biz_client_secret=None, refresh_ttl=DEFAULT_REFRESH_TTL,
                verbose=False, quiet=True):
    """Build a SimServer (not yet serving); call serve_forever() in a thread."""
    cfg = Config(access_ttl=access_ttl, refresh_ttl=refresh_ttl,
                 rate_limit_per_minute=rate_limit_per_minute, latency_ms=latency_ms,
                 client_key=client_key, client_secret=client_secret,
                 biz_client_id=biz_client_id, biz_client_secret=biz_client_secret)
    return SimServer(host, port, seed, cfg, tls_cert, tls_key, verbose=verbose, quiet=quiet)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Simulated TikTok Display/OAuth/Business API.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--port-file", help="write the listening port here (atomically)")
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    ap.add_argument("--tls-key", help="private key for --tls-cert (PEM)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--access-ttl", type=int, default=86400, help="access token lifetime (s)")
    ap.add_argument("--refresh-ttl", type=int, default=DEFAULT_REFRESH_TTL)
    ap.add_argument("--rate-limit-per-minute", type=int, default=0, help="0 = off")
    ap.add_argument("--latency-ms", type=int, default=0)
    ap.add_argument("--client-key", help="require this Display client_key")
    ap.add_argument("--client-secret", help="require this Display client_secret")
    ap.add_argument("--biz-client-id", help="require this Business client_id")
    ap.add_argument("--biz-client-secret", help="require this Business client_secret")
    ap.add_argument("--verbose", action="store_true", help="log every request to stderr")
    ap.add_argument("--quiet", action="store_true", help="no diagnostics on stderr")
    args = ap.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    srv = make_server(args.host, args.port, args.seed, args.tls_cert, args.tls_key,
                      args.access_ttl, args.rate_limit_per_minute, args.latency_ms,
                      args.client_key, args.client_secret, args.biz_client_id,
                      args.biz_client_secret, args.refresh_ttl, args.verbose, args.quiet)
    if args.port_file:
        tmp = f"{args.port_file}.tmp.{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(f"{srv.port}\n")
        os.replace(tmp, args.port_file)
    print(f"tiktok-sim listening on {srv.url}", flush=True)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    t.start()
    while not stop.wait(0.2):
        pass
    srv.shutdown()
    srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
