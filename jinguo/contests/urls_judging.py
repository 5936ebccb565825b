"""The judging pages' routes, added to the contests namespace by ``urls.py``."""

from django.urls import path

from jinguo.contests import views_judging as views

urlpatterns = [
    # The organiser
    path("<int:contest_pk>/judging/", views.judging_setup, name="judging_setup"),
    path("<int:contest_pk>/rounds/new/", views.round_create, name="round_create"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("rounds/<int:pk>/edit/", views.round_edit, name="round_edit"),
    path("rounds/<int:pk>/assign/", views.round_assign, name="round_assign"),
    path("rounds/<int:pk>/open/", views.round_open, name="round_open"),
    path("rounds/<int:pk>/remind/", views.round_remind, name="round_remind"),
    path("rounds/<int:pk>/close/", views.round_close, name="round_close"),
    path("rounds/<int:pk>/advance/", views.round_advance, name="round_advance"),
    path("rounds/<int:pk>/entries/<int:entry_pk>/", views.round_entry, name="round_entry"),
    path("rounds/<int:pk>/matrix.xlsx", views.round_matrix_export, name="round_matrix_export"),
    path("<int:contest_pk>/judges/new/", views.judge_create, name="judge_create"),
    path("judges/<int:pk>/edit/", views.judge_edit, name="judge_edit"),
    path("judges/<int:pk>/link/", views.judge_link, name="judge_link"),
    path("judges/<int:pk>/revoke/", views.judge_revoke, name="judge_revoke"),
    path("<int:contest_pk>/results/", views.results, name="results"),
    path("<int:contest_pk>/results.xlsx", views.results_export, name="results_export"),
    path("<int:contest_pk>/awards/propose/", views.awards_propose, name="awards_propose"),
    path("<int:contest_pk>/awards/confirm/", views.awards_confirm, name="awards_confirm"),
    path("<int:contest_pk>/results/publish/", views.results_publish, name="results_publish"),
    # Staff judges (signed in)
    path("judging/", views.judging_home, name="judging_home"),
    path("judging/<int:judge_pk>/", views.judge_home, name="judge_home"),
    path("judging/<int:judge_pk>/a/<int:pk>/", views.judge_score, name="judge_score"),
    path("judging/<int:judge_pk>/a/<int:pk>/file", views.judge_file, name="judge_file"),
    path("judging/<int:judge_pk>/flags/", views.judge_flags, name="judge_flags"),
    path("judging/<int:judge_pk>/unlock/<int:pk>/", views.judge_unlock, name="judge_unlock"),
    # External judges (their personal link, no account)
    path("j/<str:token>/", views.judge_home, name="ext_home"),
    path("j/<str:token>/a/<int:pk>/", views.judge_score, name="ext_score"),
    path("j/<str:token>/a/<int:pk>/file", views.judge_file, name="ext_file"),
    path("j/<str:token>/flags/", views.judge_flags, name="ext_flags"),
    path("j/<str:token>/unlock/<int:pk>/", views.judge_unlock, name="ext_unlock"),
    # The public results page
    path("r/<str:public_key>/", views.public_results, name="public_results"),
]
