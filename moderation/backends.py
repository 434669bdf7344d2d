"""Sign-in that refuses suspended members.

Django asks the backend twice: when a member signs in (``authenticate``), and on every
request to load the signed-in member from the session (``get_user``). Both go through
``user_can_authenticate``, so a suspended member can neither sign in nor stay signed
in. The suspension is ``User.is_suspended`` (kept by moderation.services), read with
the member's own row, so requests cost no extra query.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

SUSPENDED_MESSAGE = (
    "This account is suspended by the moderators, so it cannot sign in. "
    "If you think this is a mistake, write to the site's team."
)


class ModerationBackend(ModelBackend):
    def user_can_authenticate(self, user) -> bool:
        if not super().user_can_authenticate(user):
            return False
        return not user.is_suspended

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and request is not None and username and password:
            self._explain_refusal(request, username, password, **kwargs)
        return user

    def _explain_refusal(self, request, username, password, **kwargs) -> None:
        """Say so when the password was right but the account is suspended."""
        User = get_user_model()
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            return
        if user.check_password(password) and ModelBackend.user_can_authenticate(self, user):
            messages.error(request, SUSPENDED_MESSAGE, fail_silently=True)
