from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jinguo.orgs.models import Org


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    return render(request, "orgs/tree.html", {"orgs": Org.objects.all()[:200]})
