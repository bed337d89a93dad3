"""Routes of the reviews app (mounted under /w/<ws>/)."""

urlpatterns: list = []
