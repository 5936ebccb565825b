from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from jinguo.dashboard.selectors import landing


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", landing(user=request.user))


def healthz(request: HttpRequest) -> HttpResponse:
    """Public liveness probe for load balancers: the app answers and the database responds."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
