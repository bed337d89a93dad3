"""GA4's default channel grouping as a pure function.

Follows Google's documented rules ("[GA4] Default channel group"), evaluated in the documented order:
Direct, Cross-network, Paid Shopping, Paid Search, Paid Social, Paid Video, Display, Paid Other,
Organic Shopping, Organic Social, Organic Video, Organic Search, Email, Affiliates, Referral, Audio,
SMS, Mobile Push Notifications, else Unassigned. Source categories use the main entries of Google's
source-category list (search, social, shopping and video sites); a source matches a site when it is the
site, a subdomain of it, or the site with another top-level domain (``google.no`` → ``google``).
"""

from __future__ import annotations

import re

SEARCH = {
    "google",
    "bing",
    "yahoo",
    "baidu",
    "duckduckgo",
    "yandex",
    "ecosia",
    "naver",
    "ask",
    "aol",
    "seznam",
    "qwant",
    "startpage",
    "sogou",
    "so.com",
    "daum",
    "brave",
    "search.brave.com",
    "msn",
    "kvasir",
    "search-results",
    "onet",
    "rambler",
    "coccoc",
    "avg",
    "dogpile",
    "mail.rambler",
    "perplexity",
}
SOCIAL = {
    "facebook",
    "fb",
    "m.facebook.com",
    "l.facebook.com",
    "lm.facebook.com",
    "instagram",
    "ig",
    "linkedin",
    "lnkd.in",
    "twitter",
    "t.co",
    "x.com",
    "pinterest",
    "reddit",
    "tiktok",
    "snapchat",
    "threads",
    "tumblr",
    "quora",
    "vk",
    "weibo",
    "whatsapp",
    "messenger",
    "discord",
    "mastodon",
    "bluesky",
    "bsky",
    "telegram",
    "xing",
    "meetup",
    "medium",
    "wechat",
    "line",
}
VIDEO = {"youtube", "youtu.be", "vimeo", "twitch", "dailymotion", "wistia", "netflix", "disneyplus", "hulu"}
SHOPPING = {
    "amazon",
    "ebay",
    "etsy",
    "shopify",
    "walmart",
    "aliexpress",
    "alibaba",
    "shopping",
    "google shopping",
    "igshopping",
    "mercadolibre",
    "rakuten",
    "zalando",
    "prisjakt",
    "pricerunner",
    "idealo",
    "bol.com",
}

PAID_MEDIUM = re.compile(r"^(.*cp.*|ppc|retargeting|paid.*)$")
SHOPPING_CAMPAIGN = re.compile(r"^(.*(([^a-df-z]|^)shop|shopping).*)$")
DISPLAY_MEDIA = {"display", "banner", "expandable", "interstitial", "cpm"}
SOCIAL_MEDIA = {"social", "social-network", "social-media", "sm", "social network", "social media"}
EMAIL = {"email", "e-mail", "e_mail", "e mail", "newsletter"}

CHANNELS = (
    "Direct",
    "Cross-network",
    "Paid Shopping",
    "Paid Search",
    "Paid Social",
    "Paid Video",
    "Display",
    "Paid Other",
    "Organic Shopping",
    "Organic Social",
    "Organic Video",
    "Organic Search",
    "Email",
    "Affiliates",
    "Referral",
    "Audio",
    "SMS",
    "Mobile Push Notifications",
    "Unassigned",
)


def _site(source: str) -> str:
    host = source.strip().casefold()
    host = re.sub(r"^[a-z]+://", "", host).split("/")[0]
    for prefix in ("www.", "m.", "l.", "lm.", "mobile."):
        if host.startswith(prefix) and host not in SOCIAL:
            host = host[len(prefix) :]
    return host


def in_category(source: str, sites: set[str]) -> bool:
    host = _site(source)
    if not host:
        return False
    if host in sites:
        return True
    parts = host.split(".")
    # google.no, google.co.uk, news.google.com, facebook.com
    return any(parts[i] in sites or ".".join(parts[i:]) in sites for i in range(len(parts)))


def channel_group(source: str | None, medium: str | None, campaign: str | None = "") -> str:
    """The GA4 default channel group of a session's source / medium / campaign."""
    s = (source or "").strip().casefold()
    m = (medium or "").strip().casefold()
    c = (campaign or "").strip().casefold()
    if s in ("(direct)", "direct", "") and m in ("(not set)", "(none)", "none", ""):
        return "Direct"
    if "cross-network" in c:
        return "Cross-network"
    paid = bool(PAID_MEDIUM.match(m))
    shopping = in_category(s, SHOPPING) or bool(SHOPPING_CAMPAIGN.match(c))
    if shopping and paid:
        return "Paid Shopping"
    if in_category(s, SEARCH) and paid:
        return "Paid Search"
    if in_category(s, SOCIAL) and paid:
        return "Paid Social"
    if in_category(s, VIDEO) and paid:
        return "Paid Video"
    if m in DISPLAY_MEDIA:
        return "Display"
    if paid:
        return "Paid Other"
    if shopping:
        return "Organic Shopping"
    if in_category(s, SOCIAL) or m in SOCIAL_MEDIA:
        return "Organic Social"
    if in_category(s, VIDEO) or "video" in m:
        return "Organic Video"
    if in_category(s, SEARCH) or m == "organic":
        return "Organic Search"
    if s in EMAIL or m in EMAIL:
        return "Email"
    if m == "affiliate":
        return "Affiliates"
    if m in ("referral", "app", "link"):
        return "Referral"
    if m == "audio":
        return "Audio"
    if s == "sms" or m == "sms":
        return "SMS"
    if m.endswith("push") or "mobile" in m or "notification" in m or s == "firebase":
        return "Mobile Push Notifications"
    return "Unassigned"
