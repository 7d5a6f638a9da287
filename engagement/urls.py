from django.urls import path

from engagement import views

app_name = "engagement"

urlpatterns = [
    path("", views.newsletter_signup_redirect),
    path("sign-up/", views.newsletter_signup, name="newsletter_signup"),
    path("check-your-email/", views.newsletter_check_email, name="newsletter_check_email"),
    path("confirm/<str:token>/", views.newsletter_confirm, name="newsletter_confirm"),
    path("unsubscribe/<str:token>/", views.newsletter_unsubscribe, name="newsletter_unsubscribe"),
]
