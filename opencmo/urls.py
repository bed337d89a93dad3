"""URL map. Workspace pages live under /w/<ws>/ and are all wrapped by `workspace_view`;
tests/core/test_tenant_isolation.py walks this map and fails on any page left unscoped."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from opencmo.api.routes import api
from opencmo.core import views as core
from opencmo.core.throttle import ThrottledAuthenticationForm
from opencmo.insights.vega import bundle_view as vega_bundle
from opencmo.org import views as org

account_urls = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=ThrottledAuthenticationForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]

workspace_urls = [
    path("", core.workspace_home, name="workspace_home"),
    path("settings/", core.workspace_settings, name="workspace_settings"),
    path("settings/members/<int:membership_pk>/", core.membership_edit, name="membership_edit"),
    path("audit/", core.audit_log, name="audit_log"),
    path("org/people/", org.people_list, name="people_list"),
    path("org/people.csv", org.people_export, name="people_export"),
    path("org/people/new/", org.person_create, name="person_create"),
    path("org/people/<int:person_pk>/", org.person_detail, name="person_detail"),
    path("org/people/<int:person_pk>/edit/", org.person_edit, name="person_edit"),
    path("org/people/<int:person_pk>/delete/", org.person_delete, name="person_delete"),
    path("org/roles/", org.role_list, name="role_list"),
    path("org/roles/<int:role_pk>/edit/", org.role_edit, name="role_edit"),
    path("org/roles/<int:role_pk>/delete/", org.role_delete, name="role_delete"),
    path("org/raci/", include("opencmo.org.raci_urls")),
    path("org/", include("opencmo.org.chart_urls")),
    path("org/", include("opencmo.org.activity_urls")),
    path("inbox/", include("opencmo.core.inbox_urls")),
    path("strategy/", include("opencmo.strategy.urls")),
    path("campaigns/", include("opencmo.campaigns.urls")),
    path("work/", include("opencmo.work.urls")),
    path("budget/", include("opencmo.budget.urls")),
    path("customers/", include("opencmo.crm.urls")),
    path("data/", include("opencmo.data.urls")),
    path("insights/models/", include("opencmo.mmm.urls")),
    path("insights/", include("opencmo.insights.urls")),
    path("reviews/", include("opencmo.reviews.urls")),
    path("settings/tokens/", include("opencmo.api.urls")),
    path("settings/webhooks/", include("opencmo.webhooks.urls")),
]

urlpatterns = [
    path("", core.home, name="home"),
    path("healthz", core.healthz, name="healthz"),
    path("workspaces/", core.workspace_list, name="workspace_list"),
    path("accounts/", include(account_urls)),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("w/<slug:ws>/", include(workspace_urls)),
    path("ical/", include("opencmo.campaigns.feed_urls")),
    path("collect/", include("opencmo.data.collect_urls")),
    path("assets/vega-<str:version>.js", vega_bundle, name="vega_bundle"),
]
