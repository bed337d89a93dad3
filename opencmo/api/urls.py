"""Token management pages (mounted under /w/<ws>/settings/tokens/)."""

urlpatterns: list = []
