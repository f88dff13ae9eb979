"""One login for everybody, by e-mail, in English or Japanese."""

import pytest

from clients.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    return User.objects.create_user("Aiko.Sato@Example.com", "correct horse battery")


def test_login_page_renders_a_form(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="username"' in html
    assert 'type="email"' in html
    assert 'name="password"' in html
    assert "csrfmiddlewaretoken" in html


def test_login_by_email_ignores_case(client, person):
    response = client.post(
        "/accounts/login/",
        {"username": "aiko.sato@EXAMPLE.com", "password": "correct horse battery"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").context["user"] == person


def test_wrong_password_is_refused(client, person):
    response = client.post(
        "/accounts/login/", {"username": "aiko.sato@example.com", "password": "wrong"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_home_needs_a_login(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_logout_is_a_post(client, person):
    client.force_login(person)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_login_page_in_japanese_from_accept_language(client):
    response = client.get("/accounts/login/", headers={"accept-language": "ja"})

    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert "ログイン" in html


def test_language_switch_sticks(client):
    # Given a browser that asks for English, when the person picks Japanese,
    client.post("/i18n/setlang/", {"language": "ja", "next": "/accounts/login/"})

    # then later pages are Japanese despite the browser's preference.
    response = client.get("/accounts/login/", headers={"accept-language": "en"})
    assert '<html lang="ja">' in response.content.decode()


def test_repeated_wrong_passwords_lock_the_login(client, person, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "aiko.sato@example.com", "password": "no"})

    # Now even the right password is refused for a while, and the page says why.
    response = client.post(
        "/accounts/login/",
        {"username": "AIKO.SATO@example.com", "password": "correct horse battery"},
    )

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
