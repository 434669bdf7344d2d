from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import get_object_or_404, redirect, render

from accounts.forms import SignUpForm
from accounts.models import User


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! Start by rating a few titles.")
        return redirect("home")
    return render(
        request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200
    )


def profile(request, username: str):
    member = get_object_or_404(User, username=username, is_active=True)
    recent = member.ratings.select_related("title").order_by("-rated_at")[:20]
    return render(request, "accounts/profile.html", {"member": member, "recent_ratings": recent})
