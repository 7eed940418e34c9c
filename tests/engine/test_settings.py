import pytest
from perfrules.engine.errors import ConfigError
from perfrules.engine.settings import load_settings


def test_precedence_cli_over_env_over_file_over_default(tmp_path, monkeypatch):
    (tmp_path / "perfrules.toml").write_text('timezone = "Europe/Berlin"\nrules_dir = "r1"\nsmtp_port = 25\n')
    env = {"PERFRULES_RULES_DIR": "r2", "PERFRULES_SMTP_PORT": "2525"}
    s = load_settings({"smtp_port": "465"}, environ=env)
    assert s.timezone == "Europe/Berlin" and s.sources["timezone"].endswith("perfrules.toml")
    assert s.rules_dir == "r2"
    assert s.smtp_port == 465 and s.sources["smtp_port"] == "command line"
    assert s.database_url == "sqlite:///perfrules.db"


def test_bad_values_name_the_setting():
    with pytest.raises(ConfigError, match="timezone='Mars/Base'"):
        load_settings(environ={"PERFRULES_TIMEZONE": "Mars/Base"})


def test_secret_only_from_environment_and_masked(tmp_path):
    (tmp_path / "perfrules.toml").write_text('smtp_password = "hunter2"\n')
    with pytest.raises(ConfigError, match="only be set in the environment") as info:
        load_settings(environ={})
    assert "hunter2" not in str(info.value)
    (tmp_path / "perfrules.toml").unlink()
    s = load_settings(environ={"PERFRULES_SMTP_PASSWORD": "hunter2"})
    assert s.smtp_password == "hunter2"
    assert ("smtp_password", "********", "PERFRULES_SMTP_PASSWORD") in s.public_items()


def test_the_connection_pool_comes_from_the_settings(database_url):
    from perfrules.engine.settings import open_database

    settings = load_settings({"database_url": database_url}, environ={"PERFRULES_DB_POOL_SIZE": "3"})
    db = open_database(settings, upgrade=True)
    try:
        if db.dialect == "postgresql":
            assert db.engine.pool.size() == 3 and db.engine.pool._max_overflow == 10
        with db.engine.connect() as conn:  # the database it opened is the configured one, ready
            assert conn.exec_driver_sql("SELECT COUNT(*) FROM departments").scalar() >= 0
    finally:
        db.dispose()


@pytest.mark.parametrize("name, value", [("PERFRULES_DB_POOL_SIZE", "0"), ("PERFRULES_DB_MAX_OVERFLOW", "-1")])
def test_a_pool_size_out_of_range_names_the_setting(name, value):
    with pytest.raises(ConfigError, match="at least"):
        load_settings(environ={name: value})
