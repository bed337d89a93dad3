from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "opencmo.reviews"
    label = "reviews"
    verbose_name = "Reviews"
