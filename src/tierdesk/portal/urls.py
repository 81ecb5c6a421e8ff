from django.urls import path

from tierdesk.portal.views import signin, tickets

app_name = "portal"
urlpatterns = [
    path("", tickets.home, name="home"),
    path("new/", tickets.new_ticket, name="new"),
    path("tickets/<str:key>/", tickets.ticket_detail, name="ticket"),
    path("tickets/<str:key>/reply/", tickets.reply, name="reply"),
    path("tickets/<str:key>/status/", tickets.move, name="move"),
    path("sign-in/", signin.sign_in, name="sign-in"),
    path("sign-in/sent/", signin.sign_in_sent, name="sign-in-sent"),
    path("sign-in/<str:secret>/", signin.sign_in_link, name="sign-in-link"),
]
