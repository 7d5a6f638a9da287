from django.urls import path

from surveys import views

app_name = "surveys"

urlpatterns = [
    # Before the token patterns: this address holds no token, so it can be bookmarked or shared.
    path("thank-you/", views.thank_you, name="thank_you"),
    path("<str:token>/", views.take, name="take"),
    path("<str:token>/page/<int:number>/", views.take_page, name="take_page"),
    path("<str:token>/check/", views.take_check, name="take_check"),
]
