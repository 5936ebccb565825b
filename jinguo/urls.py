from django.conf import settings
from django.urls import include, path

from jinguo import views
from jinguo.api.api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("jinguo.accounts.urls")),
    path("orgs/", include("jinguo.orgs.urls")),
    path("campaigns/", include("jinguo.campaigns.urls")),
    path("activities/", include("jinguo.activities.urls")),
    path("reports/", include("jinguo.reports.urls")),
    path("quiz/", include("jinguo.quiz.urls")),
    path("contests/", include("jinguo.contests.urls")),
    path("c/", include("jinguo.contests.public_urls")),  # a contest's public submission page
    path("care/", include("jinguo.care.urls")),
    path("dashboard/", include("jinguo.dashboard.urls")),
    path("documents/", include("jinguo.documents.urls")),
    path("summaries/", include("jinguo.summaries.urls")),
    path("notifications/", include("jinguo.notifications.urls")),
    path("api/", api.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
