"""Routes of the insights app (mounted under /w/<ws>/)."""

urlpatterns: list = []
