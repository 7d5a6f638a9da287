from django.urls import path

from board import views

app_name = "board"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("recommendations/", views.my_recommendations, name="my_recommendations"),
    path("recommendations/new/", views.recommendation_create, name="recommendation_create"),
    path("board-recommendations/", views.board_recommendations, name="board_recommendations"),
    path(
        "recommendations/<str:reference>/",
        views.recommendation_detail,
        name="recommendation_detail",
    ),
    path("expenses/", views.my_expenses, name="my_expenses"),
    path("expenses/new/", views.expense_create, name="expense_create"),
    path("your-data/", views.my_data, name="my_data"),
    path("your-data/download/", views.my_data_download, name="my_data_download"),
]
