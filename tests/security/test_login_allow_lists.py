"""Who may sign in at all, and as what: allow-lists, groups, hooks; refused unless allowed."""

from __future__ import annotations

from typing import Any

import pytest
from login_helpers import Browser
from oidc_op import OP
from server_helpers import ALICE, request

from chatwidget.data import User


async def signed_in(browsers: Any) -> tuple[Browser, int]:
    browser: Browser = browsers()
    await browser.xsrf()
    done = await browser.login()
    return browser, done.status_code


async def role(browser: Browser) -> str:
    """``developer`` if the browser may list the server's files, ``app`` if it may only chat."""
    assert (await browser.get("chatwidget/api/threads")).status_code == 200
    contents = await request(browser, "GET", "api/contents")
    assert contents.status_code in (200, 403)
    return "developer" if contents.status_code == 200 else "app"


@pytest.mark.parametrize("identity_config", [{}])
async def test_without_an_allow_list_every_oauth_login_is_refused_and_the_log_says_how(
    browsers: Any, caplog: pytest.LogCaptureFixture
) -> None:
    browser, status = await signed_in(browsers)
    assert status == 403
    assert browser.session_cookie() is None
    assert (await browser.get("chatwidget/api/threads")).status_code == 403
    text = caplog.text
    assert "no allow-list" in text and "allowed_users" in text and repr(ALICE) in text


@pytest.mark.parametrize("identity_config", [{"allowed_users": {ALICE}}])
async def test_an_allowed_user_signs_in_as_an_app_user(browsers: Any) -> None:
    browser, status = await signed_in(browsers)
    assert status == 200  # the "signed in" page: the default next (JupyterLab) is not for app users
    assert await role(browser) == "app"


@pytest.mark.parametrize("identity_config", [{"allowed_users": {"generic:someone-else"}}])
async def test_a_user_not_on_the_list_is_refused(browsers: Any, caplog: pytest.LogCaptureFixture) -> None:
    browser, status = await signed_in(browsers)
    assert status == 403 and browser.session_cookie() is None
    assert f"{ALICE} refused" in caplog.text


@pytest.mark.parametrize("identity_config", [{"allow_all": True}])
async def test_allow_all_admits_anyone_as_an_app_user(browsers: Any) -> None:
    browser, status = await signed_in(browsers)
    assert status == 200 and await role(browser) == "app"


@pytest.mark.parametrize("identity_config", [{"developers": {ALICE}}])
async def test_a_developer_gets_full_jupyter(browsers: Any) -> None:
    browser, status = await signed_in(browsers)
    assert status == 302 and await role(browser) == "developer"


@pytest.mark.parametrize("identity_config", [{}])
@pytest.mark.parametrize(
    ("extra_config", "groups", "expected"),
    [
        ({"GenericOAuth": {"allowed_groups": {"staff"}}}, ["staff", "x"], "app"),
        ({"GenericOAuth": {"allowed_groups": {"staff"}}}, ["visitors"], None),
        ({"GenericOAuth": {"allowed_groups": {"staff"}}}, "staff", "app"),
        ({"GenericOAuth": {"allowed_groups": {"staff"}}}, [{"name": "staff"}], None),
        ({"GenericOAuth": {"developer_groups": {"admins"}}}, ["admins"], "developer"),
        ({"GenericOAuth": {"allowed_groups": {"staff"}, "groups_claim": "roles"}}, ["staff"], None),
    ],
)
async def test_groups_of_the_provider_decide(
    browsers: Any, op: OP, extra_config: dict[str, Any], groups: Any, expected: str | None
) -> None:
    op.user["groups"] = groups
    browser, status = await signed_in(browsers)
    if expected is None:
        assert status == 403 and browser.session_cookie() is None
    else:
        assert status in (200, 302) and await role(browser) == expected


def make_developer(provider: str, token: Any, raw: dict[str, Any], default: User) -> User:
    return User(identifier=default.identifier, metadata={**default.metadata, "role": "developer"})


def refuse(provider: str, token: Any, raw: dict[str, Any], default: User) -> None:
    return None


@pytest.mark.parametrize("identity_config", [{"oauth_callback": make_developer}])
async def test_an_oauth_callback_alone_decides_and_may_grant_the_developer_role(browsers: Any) -> None:
    browser, status = await signed_in(browsers)
    assert status == 302 and await role(browser) == "developer"


@pytest.mark.parametrize("identity_config", [{"allowed_users": {ALICE}, "oauth_callback": refuse}])
async def test_the_oauth_callback_has_the_last_word(browsers: Any) -> None:
    browser, status = await signed_in(browsers)
    assert status == 403 and browser.session_cookie() is None


@pytest.mark.parametrize("identity_config", [{}])
async def test_a_role_claimed_by_the_provider_grants_nothing(browsers: Any, op: OP) -> None:
    op.user["role"] = "developer"
    op.claims["role"] = "developer"
    _, status = await signed_in(browsers)
    assert status == 403  # no allow-list: refused; the claim is not a list entry either


@pytest.mark.parametrize("identity_config", [{"allowed_users": {ALICE}}])
async def test_a_provider_claim_named_role_is_not_the_role(browsers: Any, op: OP) -> None:
    op.user["role"] = "developer"
    op.claims["role"] = "developer"
    browser, status = await signed_in(browsers)
    assert status == 200 and await role(browser) == "app"


async def test_a_password_user_is_an_app_user_unless_a_developer(browsers: Any) -> None:
    carol: Browser = browsers()
    done = await carol.password_login("bob", "correct horse")  # bob is in developers (conftest)
    assert done.status_code == 302 and await role(carol) == "developer"


@pytest.mark.parametrize("identity_config", [{"allowed_users": {ALICE}}])
async def test_a_password_user_not_listed_as_developer_is_an_app_user(browsers: Any) -> None:
    bob: Browser = browsers()
    done = await bob.password_login("bob", "correct horse")
    assert done.status_code == 200 and "chat apps" in done.text
    assert await role(bob) == "app"


async def github_login(browsers: Any, op: OP, public_url: str) -> tuple[Browser, int]:
    op.redirect_uris.add(f"{public_url}login/oauth/github/callback")
    op.user = {"sub": "gh", "id": 4242, "login": "octo"}
    browser: Browser = browsers()
    await browser.xsrf()
    first = await browser.get("login/oauth/github")
    assert first.status_code == 302, first.text
    assert "read%3Aorg" in first.headers["location"] or "read:org" in first.headers["location"]
    at_op = await browser.client.get(first.headers["location"])
    done = await browser.client.get(at_op.headers["location"])
    return browser, done.status_code


@pytest.mark.parametrize("identity_config", [{}])
@pytest.mark.parametrize("extra_config", [{"__github__": {"allowed_groups": {"our-org"}}}])
async def test_github_organisations_are_its_groups(browsers: Any, op: OP, public_url: str) -> None:
    op.user_lists["orgs"] = [{"login": "our-org"}, {"login": "another"}]
    browser, status = await github_login(browsers, op, public_url)
    assert status == 200 and await role(browser) == "app"
    op.user_lists["orgs"] = [{"login": "another"}]
    outsider, status = await github_login(browsers, op, public_url)
    assert status == 403 and outsider.session_cookie() is None
