from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from jinguo.campaigns.models import Campaign


@login_required
def matrix(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects, pk=pk)
    return render(request, "dashboard/matrix.html", {"campaign": campaign})
