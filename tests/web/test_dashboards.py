"""Department dashboard pages and the forest plot as each role sees them."""

from sqlalchemy import select

from gains.extensions import db
from gains.models import Department


def department_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalars(select(Department.id).where(Department.code == code)).one()


def test_members_and_managers_go_to_their_own_department(app, signed_in):
    client = signed_in("manager")
    response = client.get("/dashboards/departments/")
    assert response.headers["Location"] == f"/dashboards/departments/{department_id(app, 'WKP')}"
    assert client.get(f"/dashboards/departments/{department_id(app, 'REV')}").status_code == 404


def test_treasury_chooses_any_department(app, signed_in):
    client = signed_in("treasury")
    listing = client.get("/dashboards/departments/").get_data(as_text=True)
    assert "Revenue and Customs" in listing and "Riverton City Council" in listing
    page = client.get(f"/dashboards/departments/{department_id(app, 'REV')}?method=pm")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Pooled standardised effect" in html
    assert '<span id="pooled-ci-method">Hartung-Knapp-Sidik-Jonkman interval</span>' in html
    assert 'value="pm" selected' in html
    assert "forest.svg?method=pm" in html


def test_every_figure_links_to_its_improvements(app, signed_in):
    client = signed_in("member")
    wkp = department_id(app, "WKP")
    html = client.get(f"/dashboards/departments/{wkp}").get_data(as_text=True)
    assert f"/improvements/?department={wkp}&amp;status=approved" in html
    assert f"/improvements/?department={wkp}&amp;pillar=engaging_users" in html
    assert f"/improvements/?department={wkp}&amp;kind=no_extra_cost" in html


def test_forest_plot_is_an_accessible_svg_cached_by_version(app, signed_in):
    client = signed_in("treasury")
    url = f"/dashboards/departments/{department_id(app, 'REV')}/forest.svg"
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "script" not in svg.lower()
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_pooled_effect_says_which_standardisers_it_mixes(app, signed_in):
    # Level 2 included (pooled only on request): CTY's pool then mixes both standardisers.
    url = f"/dashboards/departments/{department_id(app, 'CTY')}?level_2=include"
    html = signed_in("treasury").get(url)
    text = " ".join(html.get_data(as_text=True).split())
    row = text.split('id="pooled-standardisers"')[1].split("</dd>")[0]
    assert (
        "2 × SMCR: the before-period SD; 2 × SMD: the pooled SD of the two groups compared." in row
    )
    assert "This pools more than one standardiser" in row
    assert '<th scope="col" class="govuk-table__header">Standardised by</th>' in text


def test_forest_plot_names_the_pooled_interval(app, signed_in):
    url = f"/dashboards/departments/{department_id(app, 'CTY')}/forest.svg?level_2=include"
    svg = signed_in("treasury").get(url).get_data(as_text=True)
    description = svg.split("<desc")[1].split("</desc>")[0]
    assert "pooled by DL" in description
    assert "Hartung-Knapp-Sidik-Jonkman interval" in description


def test_before_after_only_improvements_are_pooled_only_when_ticked(app, signed_in):
    client = signed_in("treasury")
    pages = {
        code: client.get(f"/dashboards/departments/{department_id(app, code)}").get_data(
            as_text=True
        )
        for code in ("REV", "HLT", "WKP", "CTY")
    }
    with_level_2 = [code for code, html in pages.items() if 'id="excluded-level-2"' in html]
    assert with_level_2, "the demo should have an approved before/after improvement"
    code = with_level_2[0]
    assert (
        'name="level_2" type="checkbox" value="include" aria-describedby="level_2-hint" >'
        in (pages[code])
    )
    url = f"/dashboards/departments/{department_id(app, code)}?level_2=include"
    ticked = client.get(url).get_data(as_text=True)
    assert 'id="excluded-level-2"' not in ticked
    assert 'value="include" aria-describedby="level_2-hint" checked>' in ticked
    assert "forest.svg?method=dl&amp;level_2=include" in ticked
    assert ticked.count('class="govuk-table__row"') > pages[code].count('class="govuk-table__row"')


def test_the_department_shows_raw_and_shrunk_npv_and_level_2_apart(app, signed_in):
    from gains.services.dashboards.department import department_dashboard

    client = signed_in("treasury")
    rev = department_id(app, "REV")
    html = client.get(f"/dashboards/departments/{rev}").get_data(as_text=True)
    with app.app_context():
        dashboard = department_dashboard(db.session.get(Department, rev))
    for label in (
        "Validated annual savings, shrunk (the figure to bank)",
        "Validated annual savings, as approved (raw)",
        "Whole-life NPV of the validated savings, shrunk",
        "Reported, not validated by a comparison (evidence level 2)",
        "(the winner's curse)",
        "reported, not validated by a comparison</strong>",
    ):
        assert label in html, label
    table = html.split('id="validated-improvements">Validated improvements</h2>')[1]
    assert "Evidence level" in table and "Whole-life NPV (shrunk)" in table
    first = dashboard.valued_items[0]
    row = table.split(f">{first.row.title}</a>")[1].split("</tr>")[0]
    assert f">{first.row.evidence_level}</td>" in row
    assert f"£{first.npv_pence / 100:,.0f}" in row


def test_a_department_with_nothing_validated_says_so_instead_of_explaining_shrinkage(
    app, signed_in
):
    """The demo's Work and Pensions has only level-2 approvals: no validated figure to shrink,
    so the page says that rather than why raw and shrunk differ."""
    html = signed_in("treasury").get(f"/dashboards/departments/{department_id(app, 'WKP')}")
    html = html.get_data(as_text=True)
    assert "nothing to shrink or bank" in html
    assert "(the winner's curse)" not in html
