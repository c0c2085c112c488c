"""Log-in attempts limited per username and per address (django-axes): the page says so, never a bare 403."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-2026"


@pytest.fixture
def person():
    user = UserFactory(username="dana")
    user.set_password(PASSWORD)
    user.save()
    return user


def log_in(username, password, address="198.51.100.1"):
    client = Client(REMOTE_ADDR=address)
    return client, client.post("/login/", {"username": username, "password": password})


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_lock_the_username_out_even_with_the_right_one(person, settings):
    settings.AXES_FAILURE_LIMIT = 5
    for n in range(4):
        _, wrong = log_in("dana", "nope", address=f"198.51.100.{n + 1}")
        assert wrong.status_code == 200 and "Please enter a correct username and password" in wrong.text
    _, fifth = log_in("dana", "nope", address="198.51.100.5")
    assert fifth.status_code == 429
    client, right = log_in("dana", PASSWORD, address="198.51.100.9")
    assert right.status_code == 429 and not logged_in(client)
    assert "Too many failed log-ins" in right.text and "15 minutes" in right.text
    assert '<form method="post"' in right.text  # the log-in page itself, not an error page


def test_an_address_that_guesses_many_usernames_is_locked_out(person):
    for n in range(5):
        log_in(f"guess{n}", "nope", address="203.0.113.66")
    client, right = log_in("dana", PASSWORD, address="203.0.113.66")
    assert right.status_code == 429 and not logged_in(client)
    elsewhere, ok = log_in("dana", PASSWORD, address="203.0.113.67")
    assert ok.status_code == 302 and logged_in(elsewhere)


def test_a_successful_log_in_clears_the_failures(person):
    for _ in range(4):
        log_in("dana", "nope")
    client, _ = log_in("dana", PASSWORD)
    assert logged_in(client)
    for _ in range(4):
        log_in("dana", "nope")
    client, again = log_in("dana", PASSWORD)
    assert again.status_code == 302 and logged_in(client)


def test_the_lockout_ends_after_the_cool_off(person, settings, time_machine):
    time_machine.move_to(timezone.now(), tick=True)
    for _ in range(5):
        log_in("dana", "nope")
    assert log_in("dana", PASSWORD)[1].status_code == 429
    time_machine.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
    client, ok = log_in("dana", PASSWORD)
    assert ok.status_code == 302 and logged_in(client)
