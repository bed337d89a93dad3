"""Routes under /w/<ws>/data/."""

from django.urls import path

from opencmo.data import views

urlpatterns = [
    path("", views.data_home, name="data_home"),
    path("import/", views.import_upload, name="import_upload"),
    path("runs/<int:importrun_pk>/", views.import_run_detail, name="import_run_detail"),
    path("runs/<int:importrun_pk>/import/", views.import_run_again, name="import_run_again"),
    path("remap/", views.store_remap, name="data_store_remap"),
    path("utm/", views.utm_campaigns, name="data_utm_campaigns"),
    path("utm/<int:platformcampaign_pk>/delete/", views.utm_mapping_delete, name="data_utm_mapping_delete"),
    path("sites/new/", views.collect_site_create, name="collect_site_create"),
    path("sites/<int:collectsite_pk>/", views.collect_site_edit, name="collect_site_edit"),
]
