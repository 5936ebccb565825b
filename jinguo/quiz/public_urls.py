"""The public quiz's URLs (no login): the taking page and its JSON API, the leaderboard and the big
screen. Included by ``quiz/urls.py`` (names ``quiz:take``, ``quiz:start``, ...). The API's views
are session-free (``public.api``): ``PublicApiMiddleware`` resolves a cookie-less request against
``api_urlpatterns`` with Django's resolver and serves it without the session."""

from django.urls import path

from jinguo.quiz import public

# The busiest first: a resolver tries them in order.
api_urlpatterns = [
    path("p/<slug:slug>/attempts/<int:attempt_id>/submit", public.submit, name="submit"),
    path("p/<slug:slug>/start", public.start, name="start"),
    path("p/<slug:slug>/attempts/<int:attempt_id>/answers", public.save, name="save"),
    path("p/<slug:slug>/attempts/<int:attempt_id>/result", public.result, name="result"),
    path("p/<slug:slug>/units", public.units, name="public_units"),
    path("p/<slug:slug>/code", public.send_code, name="send_code"),
]

urlpatterns = [
    path("p/<slug:slug>/", public.take, name="take"),
    *api_urlpatterns,
    path("p/<slug:slug>/board/", public.board, name="board"),
    path("p/<slug:slug>/screen/", public.screen, name="screen"),
    path("p/<slug:slug>/screen/rows", public.screen_rows, name="screen_rows"),
]
