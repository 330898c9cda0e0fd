from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from portal import views


def docs_view(view):
    """The API docs: signed-in users only when API_DOCS_REQUIRE_LOGIN (production's default);
    others are sent to the login page."""
    protected = login_required(view)

    def docs(request, *args, **kwargs):
        return (protected if settings.API_DOCS_REQUIRE_LOGIN else view)(request, *args, **kwargs)

    return docs


handler400 = "portal.views.error_400"
handler403 = "portal.views.error_403"
handler404 = "portal.views.error_404"
handler500 = "portal.views.error_500"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("inbox/", views.InboxView.as_view(), name="inbox"),
    path("inbox/read/", views.InboxReadView.as_view(), name="inbox_read"),
    path("inbox/unread/", views.InboxUnreadView.as_view(), name="inbox_unread"),
    path("inbox/<int:pk>/", views.InboxOpenView.as_view(), name="inbox_open"),
    path("settings/", views.AccountSettingsView.as_view(), name="account_settings"),
    path("approvals/", views.ApprovalsView.as_view(), name="approvals"),
    # The installation models' admin pages from before they left the logistics app: permanent redirects.
    path("admin/logistics/", include("installation.admin_urls")),
    path("pii/reveal/", views.PiiRevealView.as_view(), name="pii_reveal"),
    path("admin/", admin.site.urls),
    path("tickets/", include("tickets.urls")),
    path("logistics/", include("logistics.urls")),
    path("logistics/installations/", include("installation.urls")),
    path("refunds/", include("refunds.urls")),
    path("scores/", include("scores.urls")),
    path("embed/", include("scores.embed_urls")),  # storefront badge embeds, no login
    path("training/", include("training.urls")),
    path("api/v1/", include("portal.api.urls")),
    path("api/v1/", include("tickets.api.urls")),
    path("api/v1/", include("logistics.api.urls")),
    path("api/v1/", include("installation.api.urls")),
    path("api/v1/", include("refunds.api.urls")),
    path("api/v1/", include("scores.api.urls")),
    path("api/v1/", include("training.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split views load their script from a URL instead of inlining it (Content-Security-Policy).
    path("api/docs/", docs_view(SpectacularSwaggerSplitView.as_view(url_name="api_schema")), name="api_docs"),
    path("api/redoc/", docs_view(SpectacularRedocView.as_view(url_name="api_schema")), name="api_redoc"),
]
# Uploaded files are never served from a public URL, not even in developer mode: imports are read
# by the portal itself and proof photos go through a permission-checked view (logistics/storage.py).
