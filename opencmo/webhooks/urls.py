"""Routes of the webhooks app (mounted under /w/<ws>/settings/webhooks/)."""

from django.urls import path

from opencmo.webhooks import views

urlpatterns = [
    path("", views.webhook_list, name="webhook_list"),
    path("<int:webhookendpoint_pk>/", views.webhook_detail, name="webhook_detail"),
    path("<int:webhookendpoint_pk>/test/", views.webhook_test, name="webhook_test"),
    path("<int:webhookendpoint_pk>/rotate/", views.webhook_rotate, name="webhook_rotate"),
    path("<int:webhookendpoint_pk>/delete/", views.webhook_delete, name="webhook_delete"),
    path("deliveries/<int:webhookdelivery_pk>/", views.webhook_delivery, name="webhook_delivery"),
    path(
        "deliveries/<int:webhookdelivery_pk>/redeliver/",
        views.webhook_redeliver,
        name="webhook_redeliver",
    ),
]
