"""Settings from GAINS_* variables: parsed, validated, and refused with one clear line."""

import pytest

from gains.config import (
    ConfigError,
    build_flask_config,
    check_required,
    check_sign_in,
    organisation_sign_in_configured,
    read_environment,
)


def test_defaults_without_any_setting():
    settings = read_environment({})
    assert settings["ENV"] == "development"
    assert settings["SECRET_KEY"] is None
    assert settings["SESSION_HOURS"] == 12


def test_default_database_is_sqlite_under_instance(tmp_path):
    config = build_flask_config(read_environment({}), tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'gains.db'}"
    assert config["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db/gains", "postgresql+psycopg://u:p@db/gains"),
        ("postgresql://u@db:5433/gains", "postgresql+psycopg://u@db:5433/gains"),
        ("postgresql+psycopg://u@db/gains", "postgresql+psycopg://u@db/gains"),
        ("sqlite:////srv/gains.db", "sqlite:////srv/gains.db"),
    ],
)
def test_database_urls_pick_the_psycopg_driver(given, expected):
    assert read_environment({"GAINS_DATABASE_URL": given})["DATABASE_URL"] == expected


def test_production_sends_secure_cookies(tmp_path):
    settings = read_environment({"GAINS_ENV": "production", "GAINS_SECRET_KEY": "s" * 40})
    config = build_flask_config(settings, tmp_path)
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"GAINS_ENV": "prod"}, "GAINS_ENV='prod' is not valid: must be one of development"),
        ({"GAINS_DATABSE_URL": "x"}, "GAINS_DATABSE_URL is not a Gains setting"),
        ({"GAINS_DATABASE_URL": "mysql://db/x"}, "must start with postgresql:// or sqlite:///"),
        ({"GAINS_SESSION_HOURS": "-3"}, "must be a positive whole number"),
        ({"GAINS_SESSION_HOURS": "twelve"}, "GAINS_SESSION_HOURS='twelve' is not valid"),
        ({"GAINS_LOG_LEVEL": "LOUD"}, "must be DEBUG, INFO, WARNING or ERROR"),
        ({"GAINS_SECRET_KEY": "   "}, "must not be empty"),
    ],
)
def test_bad_settings_are_refused_with_one_line(environ, message):
    with pytest.raises(ConfigError) as raised:
        read_environment(environ)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_other_variables_are_ignored():
    assert read_environment({"PATH": "/bin", "FLASK_APP": "x"})["ENV"] == "development"


def test_missing_secret_is_refused_outside_testing():
    with pytest.raises(ConfigError, match="GAINS_SECRET_KEY is not set"):
        check_required({"SECRET_KEY": None})
    check_required({"SECRET_KEY": None, "TESTING": True})
    check_required({"SECRET_KEY": "set"})


def test_set_password_link_lifetimes(tmp_path):
    defaults = build_flask_config(read_environment({}), tmp_path)
    assert (defaults["ACCOUNT_INVITE_HOURS"], defaults["ACCOUNT_RESET_HOURS"]) == (72, 1)
    chosen = read_environment({"GAINS_INVITE_HOURS": "24", "GAINS_RESET_HOURS": "2"})
    config = build_flask_config(chosen, tmp_path)
    assert (config["ACCOUNT_INVITE_HOURS"], config["ACCOUNT_RESET_HOURS"]) == (24, 2)
    with pytest.raises(ConfigError, match="GAINS_RESET_HOURS"):
        read_environment({"GAINS_RESET_HOURS": "0"})


ORGANISATION = {
    "GAINS_OIDC_ISSUER": "https://login.microsoftonline.com/tenant-id/v2.0/",
    "GAINS_OIDC_CLIENT_ID": "client",
    "GAINS_OIDC_CLIENT_SECRET": "secret",
    "GAINS_OIDC_EMAIL_DOMAINS": "Example.gov.uk, @digital.example.gov.uk",
}


def _flask_config(environ, tmp_path):
    return build_flask_config(read_environment(environ), tmp_path)


def test_organisation_sign_in_settings(tmp_path):
    config = _flask_config(ORGANISATION, tmp_path)
    check_sign_in(config)
    assert organisation_sign_in_configured(config)
    assert config["GAINS_OIDC_ISSUER"] == "https://login.microsoftonline.com/tenant-id/v2.0"
    assert config["GAINS_OIDC_EMAIL_DOMAINS"] == ("example.gov.uk", "digital.example.gov.uk")
    assert config["GAINS_PASSWORD_SIGN_IN"] is True
    assert not organisation_sign_in_configured(_flask_config({}, tmp_path))


@pytest.mark.parametrize("left_out", sorted(ORGANISATION))
def test_half_configured_organisation_sign_in_is_refused(tmp_path, left_out):
    environ = {key: value for key, value in ORGANISATION.items() if key != left_out}
    with pytest.raises(ConfigError, match=f"half configured: set {left_out} as well"):
        check_sign_in(_flask_config(environ, tmp_path))


def test_password_sign_in_off_needs_the_provider(tmp_path):
    with pytest.raises(ConfigError, match="GAINS_PASSWORD_SIGN_IN=off needs organisation"):
        check_sign_in(_flask_config({"GAINS_PASSWORD_SIGN_IN": "off"}, tmp_path))
    config = _flask_config({**ORGANISATION, "GAINS_PASSWORD_SIGN_IN": "off"}, tmp_path)
    check_sign_in(config)
    assert config["GAINS_PASSWORD_SIGN_IN"] is False


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"GAINS_OIDC_ISSUER": "http://idp.example.com"}, "must be an https:// URL"),
        ({"GAINS_OIDC_ISSUER": "accounts.google.com"}, "must be an https:// URL"),
        ({"GAINS_OIDC_EMAIL_DOMAINS": "name@example.gov.uk"}, "one or more domains"),
        ({"GAINS_OIDC_EMAIL_DOMAINS": " , "}, "one or more domains"),
        ({"GAINS_PASSWORD_SIGN_IN": "maybe"}, "must be one of on, off"),
    ],
)
def test_bad_organisation_settings_are_refused(environ, message):
    with pytest.raises(ConfigError, match=message):
        read_environment(environ)


def test_the_app_refuses_to_start_half_configured():
    from gains import create_app

    with pytest.raises(ConfigError, match="half configured"):
        create_app({"TESTING": True, "GAINS_OIDC_ISSUER": "https://accounts.google.com"})
