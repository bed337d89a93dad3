"""Routes of the webhooks app (mounted under /w/<ws>/)."""

urlpatterns: list = []
