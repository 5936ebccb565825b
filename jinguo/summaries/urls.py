from django.urls import path

from jinguo.summaries import views

app_name = "summaries"
urlpatterns = [
    path("", views.index, name="index"),
    path("draft/<int:campaign_pk>/", views.draft, name="draft"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/sections/add/", views.section_add, name="section_add"),
    path("<int:pk>/summary.docx", views.download, {"fmt": "docx"}, name="docx"),
    path("<int:pk>/summary.pdf", views.download, {"fmt": "pdf"}, name="pdf"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/accept/", views.accept, name="accept"),
    path("<int:pk>/return/", views.return_, name="return"),
    path("sections/<int:pk>/", views.section, name="section"),
    path("sections/<int:pk>/rename/", views.section_rename, name="section_rename"),
    path("sections/<int:pk>/paragraphs/add/", views.paragraph_add, name="paragraph_add"),
    path("paragraphs/<int:pk>/edit/", views.paragraph_edit, name="paragraph_edit"),
    path("paragraphs/<int:pk>/delete/", views.paragraph_delete, name="paragraph_delete"),
    path("paragraphs/<int:pk>/move/", views.paragraph_move, name="paragraph_move"),
]
