from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jinguo.campaigns.models import Campaign, CampaignTarget, Plan


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    targets = CampaignTarget.objects.filter(org=request.user.org).select_related("campaign")
    return render(request, "campaigns/inbox.html", {"targets": targets})


@login_required
def issued(request: HttpRequest) -> HttpResponse:
    return render(request, "campaigns/issued.html", {"campaigns": Campaign.objects.filter(issuer=request.user.org)})


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    plans = Plan.objects.filter(status=Plan.Status.SUBMITTED, target__campaign__issuer=request.user.org)
    return render(request, "campaigns/review_queue.html", {"plans": plans})
