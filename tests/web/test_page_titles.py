"""A page whose form has errors says so once at the start of its title, as GOV.UK asks:
"Error: <page title> – Gains", never "Error: Error:" (issue 21)."""

import re

import pytest

# (role, path posted to, what is posted, the page's own title)
REFUSED_FORMS = [
    (None, "/auth/sign-in", {"email": "", "password": ""}, "Sign in"),
    ("member", "/improvements/new", {"title": ""}, "Register an improvement"),
    ("member", "/measurements/import", {}, "Import measurements for several improvements"),
    ("admin", "/admin/departments/new", {"name": "", "code": ""}, "Add a department"),
    ("member", "/account/password", {"current_password": ""}, "Your account"),
]


def title(html: str) -> str:
    return re.search(r"<title[^>]*>(.*?)</title>", html, re.S).group(1).strip()


@pytest.mark.parametrize(("role", "path", "data", "page_title"), REFUSED_FORMS)
def test_a_refused_form_titles_its_page_error_once(client, signed_in, role, path, data, page_title):
    browser = signed_in(role) if role else client
    response = browser.post(path, data=data)
    assert response.status_code in (400, 422), response.status_code
    assert title(response.get_data(as_text=True)) == f"Error: {page_title} – Gains"


@pytest.mark.parametrize(("role", "path", "data", "page_title"), REFUSED_FORMS)
def test_the_same_page_without_errors_has_no_error_in_its_title(
    client, signed_in, role, path, data, page_title
):
    browser = signed_in(role) if role else client
    get_path = "/account/" if path == "/account/password" else path
    response = browser.get(get_path)
    assert response.status_code == 200
    assert title(response.get_data(as_text=True)) == f"{page_title} – Gains"
