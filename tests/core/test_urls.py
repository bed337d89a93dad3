"""Every URL name is unique: Django's reverse() silently picks one of two equal names, so a clash sends
users to another area's page (two areas once both had "segment_list")."""

from collections import Counter

from django.urls import URLPattern, URLResolver, get_resolver


def _names(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _names(entry.url_patterns, f"{entry.namespace}:" if entry.namespace else namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield namespace + entry.name


def test_url_names_are_unique():
    counts = Counter(_names(get_resolver().url_patterns))
    assert [name for name, n in counts.items() if n > 1] == []
