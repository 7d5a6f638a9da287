from django.conf import settings
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps import Sitemap
from wagtail.documents import urls as wagtaildocs_urls

from cms import ratelimits, views
from engagement import views as engagement_views

urlpatterns = [
    # Before Wagtail's admin URLs: sign-in and passwords are allauth's, with the second factor.
    path("admin/login/", views.admin_login_redirect, name="admin_login_redirect"),
    path("admin/password_reset/", views.admin_password_redirect),
    # Wagtail's login for private pages is Django's plain LoginView: no rate limit, no email
    # verification, no second factor. Private pages send people to allauth instead
    # (WAGTAIL_FRONTEND_LOGIN_URL), and the old address only redirects there.
    path("_util/login/", views.admin_login_redirect, name="frontend_login_redirect"),
    path("admin/", include(wagtailadmin_urls)),
    # Wagtail's page and document password forms, at their own addresses, behind a rate limit.
    path(
        "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/",
        ratelimits.page_password,
        name="page_password",
    ),
    path(
        "documents/authenticate_with_password/<int:restriction_id>/",
        ratelimits.document_password,
        name="document_password",
    ),
    path("documents/", include(wagtaildocs_urls)),
    path(
        "accounts/invitation/set-password/",
        views.invitation_set_password,
        name="invitation_set_password",
    ),
    path("accounts/invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("accounts/", include("allauth.urls")),
    path("members/", include("board.urls")),
    path("survey/", include("surveys.urls")),
    path("search/", engagement_views.search, name="search"),
    path("newsletter/", include("engagement.urls")),
    path("sitemap.xml", sitemap, {"sitemaps": {"pages": Sitemap}}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns.append(path("", include(wagtail_urls)))

handler404 = "cms.views.page_not_found"
handler500 = "cms.views.server_error"
