"""Routes of the mmm app (mounted under /w/<ws>/)."""

urlpatterns: list = []
