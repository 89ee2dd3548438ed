"""Gains says it is not on GOV.UK, so it does not show the GOV.UK crown as its icon: every page
links its own icons and manifest, not the ones govuk-frontend copies in (issue 21)."""

import json
import re

CROWN = ("images/favicon", "govuk-icon", "assets/manifest.json")


def test_pages_link_the_services_own_icons_and_no_crown(app, client):
    static = app.static_url_path
    html = client.get("/auth/sign-in").get_data(as_text=True)
    head = html.split("</head>")[0]
    icons = re.findall(r'<link rel="(?:icon|apple-touch-icon|mask-icon|manifest)"[^>]*>', head)
    hrefs = [re.search(r'href="([^"]+)"', link).group(1) for link in icons]
    assert sorted(hrefs) == [
        f"{static}/app/favicon.ico",
        f"{static}/app/favicon.svg",
        f"{static}/app/manifest.json",
        f"{static}/app/touch-icon.png",
    ]
    assert not [part for part in CROWN if part in head]
    for href in hrefs:
        response = client.get(href)
        assert response.status_code == 200, href
        response.close()


def test_the_manifest_names_only_the_services_own_icons(app, client):
    static = app.static_url_path
    response = client.get(f"{static}/app/manifest.json")
    manifest = json.loads(response.get_data(as_text=True))
    response.close()
    sources = [icon["src"] for icon in manifest["icons"]]
    assert sources == ["favicon.ico", "favicon.svg", "touch-icon.png"]
    for source in sources:
        icon = client.get(f"{static}/app/{source}")
        assert icon.status_code == 200 and len(icon.data) < 5_000  # small, and really there
        icon.close()
