from pathlib import Path

import pytest

from rag.settings import Settings, SettingsError


def test_defaults_env_then_overrides():
    assert Settings.load(env={}).top_k == 5
    env = {"RAG_TOP_K": "8", "RAG_INDEX_DIR": "/tmp/x", "RAG_LLM_EXTRA_BUFTS": "yes"}
    from_env = Settings.load(env=env)
    assert (from_env.top_k, from_env.index_dir, from_env.llm_extra_bufts) == (8, Path("/tmp/x"), True)
    flagged = Settings.load({"top_k": "3", "port": None}, env=env)
    assert flagged.top_k == 3 and flagged.port == 7860  # None = flag not given


def test_unknown_setting_lists_valid_ones():
    with pytest.raises(SettingsError, match="unknown setting 'RAG_TOPK'.*top_k"):
        Settings.load(env={"RAG_TOPK": "3"})
    with pytest.raises(SettingsError, match="unknown setting 'topk'.*valid settings are"):
        Settings.load({"topk": 3}, env={})


def test_wrong_type_is_named():
    with pytest.raises(SettingsError, match="'top_k' expects int"):
        Settings.load(env={"RAG_TOP_K": "many"})


def test_cli_flag_wins_over_env(monkeypatch, capsys):
    from rag.cli import main

    monkeypatch.setenv("RAG_TOP_K", "9")
    monkeypatch.setenv("RAG_PORT", "8000")
    assert main(["settings", "--top-k", "4"]) == 0
    out = capsys.readouterr().out
    assert "top_k = 4" in out and "port = 8000" in out
    monkeypatch.setenv("RAG_NOPE", "1")
    assert main(["settings"]) == 2
    assert "unknown setting 'RAG_NOPE'" in capsys.readouterr().err


@pytest.mark.parametrize("values, message", [
    ({"vector_index": "hnsw"}, "'vector_index' must be one of auto, exact, ivf; got 'hnsw'"),
    ({"query_rewriter": "lm"}, "'query_rewriter' must be one of heuristic, llm"),
    ({"ivf_nprobe": "0"}, "'ivf_nprobe' must be at least 1; got 0"),
    ({"dense_weight": "1.5"}, "'dense_weight' must be between 0 and 1; got 1.5"),
    ({"top_k": "0"}, "'top_k' must be at least 1"),
])
def test_out_of_range_value_is_named(values, message):
    with pytest.raises(SettingsError, match=message):
        Settings.load(values, env={})
    with pytest.raises(SettingsError, match=message):  # the same from the environment
        Settings.load(env={f"RAG_{name.upper()}": value for name, value in values.items()})


def test_the_readme_settings_table_is_the_declarations():
    from rag.settings import settings_table
    from tests.helpers.corpus import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- settings-table:start -->\n", 1)[1].split("\n<!-- settings-table:end -->", 1)[0]
    assert table == settings_table(), "README's settings table is stale: replace it with `rag settings --markdown`"


def test_each_setting_is_declared_with_its_help_and_allowed_values():
    from rag.settings import SPECS

    assert list(SPECS) == Settings.names() and all(spec.help for spec in SPECS.values())
    assert SPECS["vector_index"].choices == ("auto", "exact", "ivf") and SPECS["vector_index"].kind is str
    assert (SPECS["dense_weight"].low, SPECS["dense_weight"].high) == (0, 1)
    assert SPECS["store_backend"].plain_help.startswith("Where the index is stored: local (SQLite") \
        and "(docs/scaling.md)" in SPECS["store_backend"].plain_help  # Markdown links become their text
    fixed = {name for name, spec in SPECS.items() if spec.fixed_while_serving}
    assert fixed == {"embed_model", "embed_batch_size", "host", "port", "auth", "api", "api_keys"}
    assert "auth" not in repr(Settings(auth="reader:secret"))  # the secret one is kept out of logs


def test_flag_help_comes_from_the_declaration(capsys):
    from rag.cli import main

    with pytest.raises(SystemExit):
        main(["settings", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--vector-index {auto,exact,ivf}" in help_text
    assert "--dense-weight WEIGHT Dense share of the fused score for questions in embed_languages (default: 0.5; " \
           "between 0 and 1)" in help_text


def test_malformed_logins_are_a_settings_error_that_hides_the_value():
    with pytest.raises(SettingsError, match="must be user:password") as error:
        Settings.load({"auth": "secret-without-user"}, env={})
    assert "secret" not in str(error.value)
    assert Settings(auth="a:1; b:2").logins == [("a", "1"), ("b", "2")]
