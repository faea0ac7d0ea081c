"""Using the console over real HTTP as a person does: log in through the form (with its CSRF token) and read the
token a page's forms carry. Shared by the tests that run a real gateway process."""

from __future__ import annotations

import re
from typing import Any

import requests

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def base_url(target: Any) -> str:
    """A gateway process (anything with `.url`) or its base URL."""
    return str(getattr(target, "url", target)).rstrip("/")


def login(target: Any, username: str, password: str | None = None) -> requests.Session:
    """A session logged in as `username` (the tests' accounts use the password "mat-khau-<username>")."""
    url = base_url(target)
    s = requests.Session()
    match = CSRF.search(s.get(f"{url}/admin/login").text)
    assert match, "the login page carries no CSRF token"
    r = s.post(
        f"{url}/admin/login",
        data={"csrf": match.group(1), "username": username, "password": password or f"mat-khau-{username}"},
        allow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return s


def csrf_of(session: requests.Session, page_url: str) -> str:
    """The CSRF token in the forms of the page at `page_url`."""
    match = CSRF.search(session.get(page_url).text)
    assert match, f"no CSRF token on {page_url}"
    return match.group(1)
