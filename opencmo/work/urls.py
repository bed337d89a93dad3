"""Routes under /w/<ws>/work/: the board, lists, my work, the status agenda and each task's page."""

from django.urls import path

from opencmo.work import views

urlpatterns = [
    path("", views.work_board, name="work_board"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks.csv", views.task_export, name="task_export"),
    path("tasks/new/", views.task_create, name="task_create"),
    path("mine/", views.my_work, name="my_work"),
    path("agenda/", views.status_agenda, name="status_agenda"),
    path("tasks/<int:task_pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:task_pk>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<int:task_pk>/delete/", views.task_delete, name="task_delete"),
    path("tasks/<int:task_pk>/move/", views.task_move, name="task_move"),
    path("tasks/<int:task_pk>/approval/", views.task_approval, name="task_approval"),
    path("tasks/<int:task_pk>/checklist/", views.checklist_add, name="checklist_add"),
    path("tasks/<int:task_pk>/comments/", views.comment_add, name="comment_add"),
    path("tasks/<int:task_pk>/files/", views.attachment_upload, name="attachment_upload"),
    path("checklist/<int:checklistitem_pk>/toggle/", views.checklist_toggle, name="checklist_toggle"),
    path("checklist/<int:checklistitem_pk>/move/", views.checklist_move, name="checklist_move"),
    path("checklist/<int:checklistitem_pk>/delete/", views.checklist_delete, name="checklist_delete"),
    path("comments/<int:comment_pk>/edit/", views.comment_edit, name="comment_edit"),
    path("comments/<int:comment_pk>/delete/", views.comment_delete, name="comment_delete"),
    path("files/<int:attachment_pk>/", views.attachment_download, name="attachment_download"),
    path("files/<int:attachment_pk>/delete/", views.attachment_delete, name="attachment_delete"),
]
