from django.urls import path

from social import feeds, views

app_name = "social"

urlpatterns = [
    path("u/<str:username>/following/", views.following, name="following"),
    path("u/<str:username>/followers/", views.followers, name="followers"),
    path("u/<str:username>/follow/", views.follow, name="follow"),
    path("u/<str:username>/unfollow/", views.unfollow, name="unfollow"),
    path("u/<str:username>/feed/", feeds.MemberFeed(), name="member-feed"),
    path("reviews/<int:pk>/like/", views.like, name="like"),
    path("reviews/<int:pk>/unlike/", views.unlike, name="unlike"),
    path("reviews/<int:pk>/likes/", views.review_likes, name="review-likes"),
    path("notifications/", views.notifications, name="notifications"),
    path("collections/<int:pk>/feed.atom", feeds.CollectionFeed(), name="collection-feed"),
]
