import re

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory
from tests.html import select_one

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def test_signup_creates_the_account_signs_in_and_opens_settings(client):
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": "maud",
            "email": "maud@example.com",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:settings")
    user = User.objects.get(username="maud")
    assert user.email == "maud@example.com"
    assert int(client.session["_auth_user_id"]) == user.pk


def test_signup_returns_to_a_safe_next_page_only(client):
    data = {
        "username": "nell",
        "email": "nell@example.com",
        "password1": "a long enough passphrase",
        "password2": "a long enough passphrase",
        "next": "https://evil.example.com/",
    }
    response = client.post(reverse("accounts:signup"), data)
    assert response["Location"] == reverse("accounts:settings")


def test_signup_refuses_weak_password_and_taken_email_with_messages(client):
    UserFactory(username="existing", email="taken@example.com")
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": "Existing",
            "email": "TAKEN@example.com",
            "password1": "123",
            "password2": "123",
        },
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "already exists" in content
    assert "too short" in content
    assert "A user with that username already exists" in content
    assert User.objects.count() == 1


def test_login_page_links_to_password_reset(client):
    content = client.get(reverse("accounts:login")).content.decode()
    assert reverse("accounts:password-reset") in content


def test_login_and_logout(client):
    user = UserFactory(username="ines")
    response = client.post(
        reverse("accounts:login"), {"username": "ines", "password": PASSWORD, "next": "/titles/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/titles/"
    assert int(client.session["_auth_user_id"]) == user.pk
    client.post(reverse("accounts:logout"))
    assert "_auth_user_id" not in client.session


def test_a_failed_sign_in_answers_400_with_the_form(client):
    UserFactory(username="hal")
    response = client.post(reverse("accounts:login"), {"username": "hal", "password": "no"})
    assert response.status_code == 400
    assert select_one(response, "ul", class_="errorlist").text.startswith(
        "Please enter a correct username and password."
    )
    assert select_one(response, "input", name="username").get("value") == "hal"
    assert "_auth_user_id" not in client.session


def test_a_username_longer_than_the_field_is_refused_before_axes_sees_it(client):
    response = client.post(reverse("accounts:login"), {"username": "u" * 300, "password": "x"})
    assert response.status_code == 400
    assert select_one(response, "ul", class_="errorlist").text == (
        "A username has at most 150 characters; check what you typed."
    )
    assert not AccessAttempt.objects.exists()
    assert not AccessFailureLog.objects.exists()


def test_repeated_failed_sign_ins_show_the_lockout_page(client):
    UserFactory(username="jude")
    for attempt in range(1, 6):
        response = client.post(reverse("accounts:login"), {"username": "jude", "password": "no"})
        # Refused with the form (400) until the fifth failure locks the account (429).
        assert response.status_code == (429 if attempt == 5 else 400)
    response = client.post(reverse("accounts:login"), {"username": "jude", "password": PASSWORD})
    assert response.status_code == 429
    content = response.content.decode()
    assert "Too many sign-in attempts" in content
    assert "15 minutes" in content
    assert "_auth_user_id" not in client.session


def test_password_change_requires_sign_in_and_changes_the_password(client):
    response = client.get(reverse("accounts:password-change"))
    assert response.status_code == 302
    user = UserFactory(username="kit")
    client.force_login(user)
    response = client.post(
        reverse("accounts:password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another long passphrase",
            "new_password2": "another long passphrase",
        },
    )
    assert response["Location"] == reverse("accounts:password-change-done")
    user.refresh_from_db()
    assert user.check_password("another long passphrase")


def test_password_reset_sends_a_link_that_sets_a_new_password(client):
    user = UserFactory(username="lou", email="lou@example.com")
    response = client.post(reverse("accounts:password-reset"), {"email": "lou@example.com"})
    assert response["Location"] == reverse("accounts:password-reset-done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Choose a new password for Movie Ratings"
    link = re.search(r"http://testserver(/password-reset/\S+/)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    assert "Choose a new password" in response.content.decode()
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url,
        {"new_password1": "brand new passphrase", "new_password2": "brand new passphrase"},
    )
    assert response["Location"] == reverse("accounts:password-reset-complete")
    user.refresh_from_db()
    assert user.check_password("brand new passphrase")


def test_password_reset_for_unknown_address_sends_nothing_but_looks_the_same(client):
    response = client.post(reverse("accounts:password-reset"), {"email": "nobody@example.com"})
    assert response["Location"] == reverse("accounts:password-reset-done")
    assert mail.outbox == []


def test_used_reset_link_says_it_is_no_longer_valid(client):
    response = client.get(
        reverse("accounts:password-reset-confirm", kwargs={"uidb64": "MQ", "token": "bad-token"})
    )
    assert "not valid any more" in response.content.decode()
