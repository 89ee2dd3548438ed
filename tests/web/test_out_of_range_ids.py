"""Numbers in URLs that no record or page can have: a 404 or the nearest page, never a 500.

An id or page number past what the database's integers hold reached a query (`OverflowError`
on SQLite, `DataError` on PostgreSQL)."""

import pytest

# Just past PostgreSQL's bigint, and past anything 64 bits hold.
TOO_BIG = ("9223372036854775808", "99999999999999999999")

PATHS = [
    "/improvements/{n}",
    "/improvements/{n}/audit",
    "/improvements/{n}/charts/xmr.svg",
    "/register/improvements/{n}",
    "/register/improvements/{n}/chart.svg",
    "/dashboards/departments/{n}/forest.svg",
    "/admin/users/{n}",
    "/api/v1/improvements/{n}",
]
PAGED = [
    "/improvements/?page={n}",
    "/admin/audit?page={n}",
    "/admin/users?page={n}",
    "/register/?page={n}",
]


@pytest.mark.parametrize("number", TOO_BIG)
def test_a_record_id_too_big_for_the_database_is_not_found(signed_in, number):
    admin = signed_in("admin")
    for path in PATHS:
        assert admin.get(path.format(n=number)).status_code == 404, path


@pytest.mark.parametrize("number", TOO_BIG)
def test_a_page_past_any_list_shows_the_last_page(signed_in, number):
    admin = signed_in("admin")
    for path in PAGED:
        response = admin.get(path.format(n=number))
        assert response.status_code == 200, path


@pytest.mark.parametrize("number", [*TOO_BIG, "²", "0", "-1", "9" * 5000])
def test_id_query_arguments_that_cannot_be_ids_name_nothing(signed_in, number):
    member = signed_in("member")
    check = member.get(f"/measurements/import/check?batch={number}")
    assert check.status_code == 303  # "There is no upload waiting"
    member.post("/auth/sign-out")
    admin = signed_in("admin")
    treasury = admin.get(f"/dashboards/treasury?department={number}")
    assert treasury.status_code == 200
