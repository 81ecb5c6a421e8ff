from django.urls import path

from tierdesk.web.views import auth, bulk, manage, org, queues, tickets

urlpatterns = [
    path("", auth.home, name="home"),
    path("login/", auth.SignInView.as_view(), name="login"),
    path("logout/", auth.SignOutView.as_view(), name="logout"),
    path("password-reset/", auth.ResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth.ResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        auth.ResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("reset/done/", auth.ResetCompleteView.as_view(), name="password_reset_complete"),
    path("queues/", queues.all_queues, name="queues"),
    path("queues/mine", queues.mine, name="queue-mine"),
    path("queues/unassigned", queues.unassigned, name="queue-unassigned"),
    path("queues/breaching", queues.breaching, name="queue-breaching"),
    path("queues/team/<slug:slug>", queues.team_queue, name="queue-team"),
    path("queues/tier/<int:tier>", queues.tier_queue, name="queue-tier"),
    path("queues/counts", queues.sidebar_counts, name="queue-counts"),
    path("queues/bulk", bulk.bulk, name="queue-bulk"),
    path("queues/saved", queues.save_filter, name="saved-filter-create"),
    path("queues/saved/<int:pk>/delete", queues.delete_filter, name="saved-filter-delete"),
    path("tickets/<str:key>", tickets.detail, name="ticket"),
    path("tickets/<str:key>/reply", tickets.reply, name="ticket-reply"),
    path("tickets/<str:key>/assign", tickets.assign_view, name="ticket-assign"),
    path("tickets/<str:key>/transition", tickets.transition_view, name="ticket-transition"),
    path("tickets/<str:key>/escalate", tickets.escalate_view, name="ticket-escalate"),
    path("tickets/<str:key>/link", tickets.link_view, name="ticket-link"),
    path("tickets/<str:key>/merge", tickets.merge_view, name="ticket-merge"),
    path("tickets/<str:key>/fields", tickets.fields_view, name="ticket-fields"),
    path("manage/", manage.overview, name="manage"),
    path("org/chart", org.chart, name="org-chart"),
    path("org/chart.svg", org.chart_svg, name="org-chart-svg"),
]
