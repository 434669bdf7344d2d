"""Sign out a member who was suspended while signed in.

The authentication backend already treats such a session as anonymous; this ends the
session too, so that lifting the suspension later does not silently sign them back in,
and tells them why.
"""

from django.contrib import messages
from django.contrib.auth import SESSION_KEY, get_user_model, logout

from moderation.backends import SUSPENDED_MESSAGE


class SuspendedSignOutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        user_id = session.get(SESSION_KEY) if session is not None else None
        if user_id is not None and not request.user.is_authenticated and self._suspended(user_id):
            logout(request)
            messages.error(request, SUSPENDED_MESSAGE, fail_silently=True)
        return self.get_response(request)

    @staticmethod
    def _suspended(user_id) -> bool:
        return get_user_model().objects.filter(pk=user_id, is_suspended=True).exists()
