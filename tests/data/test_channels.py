"""GA4 default channel grouping, rule by rule."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opencmo.data.parsers.channels import CHANNELS, channel_group


@pytest.mark.parametrize(
    "source,medium,campaign,expected",
    [
        ("(direct)", "(none)", "", "Direct"),
        ("(direct)", "(not set)", "", "Direct"),
        ("google", "cpc", "x cross-network y", "Cross-network"),
        ("google", "cpc", "shopping_spring", "Paid Shopping"),
        ("amazon", "ppc", "", "Paid Shopping"),
        ("google", "cpc", "spring", "Paid Search"),
        ("bing", "paid", "", "Paid Search"),
        ("www.google.no", "cpc", "", "Paid Search"),
        ("facebook", "paid_social", "", "Paid Social"),
        ("linkedin", "cpc", "", "Paid Social"),
        ("l.facebook.com", "retargeting", "", "Paid Social"),
        ("youtube", "cpv", "", "Paid Video"),
        ("dv360", "display", "", "Display"),
        ("network", "banner", "", "Display"),
        ("partner", "cpm", "", "Display"),
        ("outbrain", "paid_native", "", "Paid Other"),
        ("etsy", "referral", "", "Organic Shopping"),
        ("t.co", "referral", "", "Organic Social"),
        ("anything", "social", "", "Organic Social"),
        ("vimeo", "referral", "", "Organic Video"),
        ("blog", "video", "", "Organic Video"),
        ("google", "organic", "", "Organic Search"),
        ("duckduckgo.com", "referral", "", "Organic Search"),
        ("other", "organic", "", "Organic Search"),
        ("newsletter", "email", "", "Email"),
        ("email", "anything", "", "Email"),
        ("partner", "affiliate", "", "Affiliates"),
        ("blog.example", "referral", "", "Referral"),
        ("app", "app", "", "Referral"),
        ("podcast", "audio", "", "Audio"),
        ("sms", "text", "", "SMS"),
        ("firebase", "notification", "", "Mobile Push Notifications"),
        ("app", "web-push", "", "Mobile Push Notifications"),
        ("weird", "thing", "", "Unassigned"),
        ("(direct)", "email", "", "Email"),
    ],
)
def test_rules(source, medium, campaign, expected):
    assert channel_group(source, medium, campaign) == expected


def test_case_insensitive():
    assert channel_group("Google", "CPC", "") == "Paid Search"


def test_none_is_direct():
    assert channel_group(None, None, None) == "Direct"


@given(st.text(max_size=30), st.text(max_size=30), st.text(max_size=30))
def test_always_a_known_group(source, medium, campaign):
    assert channel_group(source, medium, campaign) in CHANNELS


@given(
    st.sampled_from(["google", "bing", "yahoo", "baidu"]),
    st.sampled_from(["cpc", "ppc", "paidsearch", "retargeting"]),
)
def test_paid_search_engines(source, medium):
    assert channel_group(source, medium, "brand") == "Paid Search"
