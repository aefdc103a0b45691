"""``customer-graph check-config`` names every problem of a config file at once, precisely.

Each broken config is the shipped sandbox config with one edit; the expected lines are the
exact messages an operator reads: the key to fix, what is expected and what was found.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway import cli
from gateway.settings import DEFAULT_CONFIG, load_settings

SHIPPED = DEFAULT_CONFIG.read_text(encoding="utf-8")
CUSTOMER_FIELDS = (
    "birth_date, city, country, created_at, email, first_name, last_name, phone, segment, "
    "updated_at"
)


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    # The command configures process-wide logging; tests keep the defaults.
    monkeypatch.setattr(cli, "configure_logging", lambda *args: None)
    monkeypatch.delenv("ORDERS_API_TOKEN", raising=False)
    monkeypatch.delenv("CRM_URL", raising=False)


def edited(*edits: tuple[str, str]) -> str:
    text = SHIPPED
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def check_config(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """Run the command on ``text``; its problem lines, after asserting a failing exit."""
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    assert cli.main(["check-config", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    header, *lines = err.splitlines()
    assert header == f"invalid configuration ({len(lines)} problem{'s' * (len(lines) != 1)}):"
    return [line.removeprefix("  ") for line in lines]


BROKEN = {
    "GraphQL list without its key": (
        [('key = "customerId"\n', "")],
        [
            "sources.support.graphql.key: operation 'list' needs 'key': where each record's "
            "customer key is"
        ],
    ),
    "GraphQL path that selects nothing": (
        [('path = "agent.name"', 'path = "agent.name || subject"')],
        [
            "sources.support.fields.agent_name.path: a GraphQL source selects the fields its "
            "paths name; expected a dotted path of upstream fields such as 'agent.name', not "
            "'agent.name || subject' (found 'agent.name || subject')"
        ],
    ),
    "GraphQL source with a REST batch": (
        [
            (
                "[sources.support.graphql]",
                "[sources.support.batch]\npath = '/x'\nids = { name = 'ids' }\n"
                "records = 'a'\nkey = 'b'\n\n[sources.support.graphql]",
            )
        ],
        ["sources.support.batch: 'batch' is not used by a source of format 'graphql'"],
    ),
    "REST source without a batch": (
        [("[sources.orders.batch]", "[sources.orders.unused]")],
        [
            "sources.orders.unused: unknown key; expected one of auth, base_url, batch, breaker, "
            "content_types, csv, entity, fields, format, forward_caller_token, graphql, "
            "key_template, listing, max_concurrency, max_response_bytes, primary, rate_limit, "
            "retries, sparse_fields, stale_if_error, stale_while_revalidate, timeouts, ttl, "
            "update, webhook, xml",
            "sources.orders.batch: a REST source needs 'batch', how to ask for many customers",
        ],
    ),
    "unknown format": (
        [('format = "xml"', 'format = "yaml"')],
        [
            "sources.loyalty.format: expected one of 'json', 'xml', 'csv' or 'graphql' "
            "(found 'yaml')"
        ],
    ),
    "bad JMESPath": (
        [('path = "lty_points"', 'path = "lty_points["')],
        [
            "sources.loyalty.fields.points.path: expected a JMESPath expression; the expression "
            "ends too early at character 12 (found 'lty_points[')"
        ],
    ),
    "missing base URL": (
        [('base_url = "${SANDBOX_URL:-http://127.0.0.1:8100}/orders"\n', "")],
        ["sources.orders.base_url: required key is missing"],
    ),
    "base URL without scheme": (
        [("${SANDBOX_URL:-http://127.0.0.1:8100}/orders", "127.0.0.1:8100/orders")],
        [
            "sources.orders.base_url: expected an http:// or https:// URL "
            "(found '127.0.0.1:8100/orders')"
        ],
    ),
    "unknown target field": (
        [('segment = { path = "segment" }', 'segmant = { path = "segment" }')],
        [
            "sources.crm.fields.segmant: unknown target field 'segmant' for entity 'customer'; "
            f"expected one of {CUSTOMER_FIELDS}"
        ],
    ),
    "unknown target field of list items": (
        [("quantity = { path", "qty = { path")],
        [
            "sources.orders.fields.lines.fields.qty: unknown target field 'qty' for lines items; "
            "expected one of quantity, sku, title, unit_price_minor"
        ],
    ),
    "bad id template": (
        [('key_template = "C{id:07d}"', 'key_template = "C{idx:07d}"')],
        [
            "sources.preferences.key_template: expected exactly one '{id}' placeholder, "
            "not 'idx' (found 'C{idx:07d}')"
        ],
    ),
    "id template with a format it cannot read back": (
        [('key_template = "M-{id:06d}"', 'key_template = "M-{id:06x}"')],
        [
            "sources.loyalty.key_template: expected '{id}', '{id:d}' or a zero-padded integer "
            "such as '{id:06d}' (found 'M-{id:06x}')"
        ],
    ),
    "secret variable not set": (
        [("ttl = 30\n", 'ttl = 30\nauth = { kind = "bearer", token_env = "ORDERS_API_TOKEN" }\n')],
        [
            "sources.orders.auth.token_env: environment variable 'ORDERS_API_TOKEN' is not set; "
            "expected the secret there"
        ],
    ),
    "unknown auth kind": (
        [("ttl = 30\n", 'ttl = 30\nauth = { kind = "basic" }\n')],
        [
            "sources.orders.auth: unknown 'kind' 'basic'; expected one of "
            "'none', 'header', 'bearer', 'oauth2'"
        ],
    ),
    "list field without item fields": (
        [('path = "lines"\ntype = "list"\nfields = {', 'path = "lines"\ntype = "list"\nx = {')],
        [
            "sources.orders.fields.lines.x: unknown key; expected one of attributes, "
            "decimal_separator, false_values, fields, format, major_to_minor, path, required, "
            "thousands_separator, trim, true_values, type, values",
            "sources.orders.fields.lines: list field 'lines' needs 'fields', the mapping of "
            "each item",
        ],
    ),
    "two primary sources": (
        [('entity = "orders"\n', 'entity = "orders"\nprimary = true\n')],
        [
            "sources.orders.primary: 'primary' is only allowed on a source with entity "
            "'customer', not 'orders' (found True)",
            "sources: exactly one source with entity 'customer' must have primary = true, "
            "found 'crm', 'orders'",
        ],
    ),
    "no primary source": (
        [("primary = true\n", "")],
        [
            "sources.crm.listing: 'listing' is only allowed on the primary customer source",
            "sources: exactly one source with entity 'customer' must have primary = true, "
            "found none",
        ],
    ),
    "two sources feed one entity": (
        [
            ("[sources.preferences]\n", "[sources.preferences]\n"),
            ('entity = "preferences"', 'entity = "loyalty"'),
        ],
        [
            "sources.preferences.fields.channel: unknown target field 'channel' for entity "
            "'loyalty'; expected one of member_number, member_since, points, tier",
            "sources.preferences.fields.opt_in: unknown target field 'opt_in' for entity "
            "'loyalty'; expected one of member_number, member_since, points, tier",
            "sources.preferences.fields.language: unknown target field 'language' for entity "
            "'loyalty'; expected one of member_number, member_since, points, tier",
            "sources.preferences.fields.updated_at: unknown target field 'updated_at' for "
            "entity 'loyalty'; expected one of member_number, member_since, points, tier",
            "sources.preferences.entity: entity 'loyalty' is already fed by source 'loyalty'; "
            "expected one source per field",
        ],
    ),
    "ids style xml without xml_root": (
        [('xml_root = "lookup", ', "")],
        [
            "sources.loyalty.batch.ids.xml_root: ids style 'xml' needs xml_root, the root "
            "element of the request body"
        ],
    ),
    "ids in a body with GET": (
        [
            (
                'ids = { style = "comma", name = "customer_ids" }',
                'ids = { style = "json", name = "customer_ids" }',
            )
        ],
        [
            "sources.orders.batch.method: ids style 'json' sends the ids in a body; expected "
            "method 'POST' (found 'GET')"
        ],
    ),
    "value of the wrong type": (
        [
            ("ttl = 30\n", 'ttl = "half a minute"\n'),
            ("max_batch_size = 50", "max_batch_size = 5.5"),
        ],
        [
            "sources.orders.batch.max_batch_size: expected a whole number (found 5.5)",
            "sources.orders.ttl: expected a number (found 'half a minute')",
        ],
    ),
    "declared type differs from the model": (
        [
            (
                'email = { path = "email", type = "string" }',
                'email = { path = "email", type = "date" }',
            )
        ],
        [
            "sources.crm.fields.email.type: declared type 'date' does not match the model "
            "field, expected 'string'"
        ],
    ),
    "number out of range": (
        [("max_batch_size = 200", "max_batch_size = 0")],
        ["sources.preferences.batch.max_batch_size: expected a number >= 1 (found 0)"],
    ),
    "unknown key (typo)": (
        [("max_batch_size = 200", "max_batchsize = 200")],
        [
            "sources.preferences.batch.max_batchsize: unknown key (did you mean "
            "'max_batch_size'?); expected one of ids, key, max_batch_size, method, params, "
            "path, records"
        ],
    ),
    "forwarded caller token and bearer auth": (
        [
            (
                "ttl = 30\n",
                'ttl = 30\nforward_caller_token = true\nauth = { kind = "bearer", '
                'token_env = "HOME" }\n',
            )
        ],
        [
            "sources.orders.forward_caller_token: forwarding the caller's token sets "
            "Authorization, which auth kind 'bearer' also sets; expected one of them (found True)"
        ],
    ),
    "unknown media type": (
        [("ttl = 30\n", 'ttl = 30\ncontent_types = ["json"]\n')],
        [
            "sources.orders.content_types: expected media types such as 'application/json' or "
            "'*/*' (found ['json'])"
        ],
    ),
    "environment variable without default not set": (
        [("${SANDBOX_URL:-http://127.0.0.1:8100}/crm", "${CRM_URL}/crm")],
        [
            "sources.crm.base_url: environment variable 'CRM_URL' is not set; expected a value, "
            "or a default written as ${CRM_URL:-default}",
            "sources.crm.base_url: expected an http:// or https:// URL (found '/crm')",
        ],
    ),
}


@pytest.mark.parametrize(("edits", "expected"), BROKEN.values(), ids=BROKEN.keys())
def test_broken_config_gets_a_precise_message_and_a_failing_exit(
    edits: list[tuple[str, str]],
    expected: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert check_config(tmp_path, edited(*edits), capsys) == expected


def test_duplicate_source_table_is_reported_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = SHIPPED + "\n[sources.crm]\nttl = 5\n"
    line = text.count("\n") - 1
    (problem,) = check_config(tmp_path, text, capsys)
    assert problem == (
        f"{tmp_path / 'broken.toml'}: line {line}, column 13: not valid TOML: source 'crm' is "
        "declared twice; expected each [sources.NAME] table once"
    )


def test_toml_syntax_error_is_reported_with_its_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = edited(("ttl = 60\n", "ttl = 60 seconds\n"))
    line = text[: text.index("ttl = 60 seconds")].count("\n") + 1
    (problem,) = check_config(tmp_path, text, capsys)
    assert problem == (
        f"{tmp_path / 'broken.toml'}: line {line}, column 10: not valid TOML: "
        "Expected newline or end of document after a statement"
    )


def test_every_problem_is_reported_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # These edit the same lines as others; they have their own tests.
    separate = {
        "base URL without scheme",
        "unknown target field of list items",
        "id template with a format it cannot read back",
        "secret variable not set",
        "unknown auth kind",
        "no primary source",
        "two sources feed one entity",
        "ids in a body with GET",
        "number out of range",
        "forwarded caller token and bearer auth",
        "unknown media type",
        "REST source without a batch",
    }
    chosen = [case for name, case in BROKEN.items() if name not in separate]
    edits = [edit for case_edits, _ in chosen for edit in case_edits]
    expected = [line for _, lines in chosen for line in lines]
    assert len(expected) >= 12
    problems = check_config(tmp_path, edited(*edits), capsys)
    assert sorted(problems) == sorted(expected)


def test_server_refuses_to_start_with_the_same_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = edited(
        ('format = "xml"', 'format = "yaml"'), ("max_batch_size = 200", "max_batchsize = 200")
    )
    expected = check_config(tmp_path, text, capsys)
    assert len(expected) == 2
    assert cli.main(["serve", "--config", str(tmp_path / "broken.toml")]) == 1
    _, err = capsys.readouterr()
    assert [line.removeprefix("  ") for line in err.splitlines()[1:]] == expected


def test_shipped_config_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check-config", str(DEFAULT_CONFIG)]) == 0
    out, _ = capsys.readouterr()
    assert out == f"{DEFAULT_CONFIG}: ok (5 sources: crm, orders, loyalty, preferences, support)\n"


def test_environment_overrides_any_key() -> None:
    settings = load_settings(
        DEFAULT_CONFIG,
        {
            "CG_SOURCES__CRM__TTL": "5",
            "CG_SOURCES__LOYALTY__BATCH__MAX_BATCH_SIZE": "20",
            "CG_SOURCES__CRM__SPARSE_FIELDS__ALWAYS": '["id", "updated_at"]',
            "CG_SERVER__PORT": "9000",
        },
    )
    assert settings.sources["crm"].ttl == 5.0
    assert settings.sources["loyalty"].max_batch_size == 20
    sparse = settings.sources["crm"].sparse_fields
    assert sparse is not None
    assert sparse.always == ("id", "updated_at")
    assert settings.server.port == 9000


def test_bad_override_names_the_variable_that_set_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CG_SOURCES__CRM__TTL", "soon")
    monkeypatch.setenv("CG_SOURCES__CRM__TTLL", "5")
    assert check_config(tmp_path, SHIPPED, capsys) == [
        "sources.crm.ttl: expected a number (found 'soon') [set by CG_SOURCES__CRM__TTL]",
        "sources.crm.ttll: unknown key (did you mean 'ttl'?); expected one of auth, base_url, "
        "batch, breaker, content_types, csv, entity, fields, format, forward_caller_token, "
        "graphql, key_template, listing, max_concurrency, max_response_bytes, primary, rate_limit, "
        "retries, sparse_fields, stale_if_error, stale_while_revalidate, timeouts, ttl, update, "
        "webhook, xml [set by CG_SOURCES__CRM__TTLL]",
    ]


def test_documented_example_config_is_valid(tmp_path: Path) -> None:
    doc = (Path(__file__).parents[1] / "docs" / "sources.md").read_text(encoding="utf-8")
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.toml"
    path.write_text(example, encoding="utf-8")
    secrets = ("CRM_CLIENT_ID", "CRM_CLIENT_SECRET", "ORDERS_TOKEN", "POINTSPLUS_API_KEY")
    settings = load_settings(path, {name: f"value-of-{name}" for name in secrets})
    assert list(settings.sources) == ["crm", "orders", "loyalty", "preferences"]
    assert settings.sources["crm"].base_url == "https://crm.example.com/api/v2"
    assert settings.secrets["ORDERS_TOKEN"] == "value-of-ORDERS_TOKEN"


def test_an_invalid_field_does_not_hide_the_other_fields_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = edited(
        ('first_name = { path = "first_name"', 'first_name = { path = "first_name[["'),
        ('segment = { path = "segment" }', 'segmant = { path = "segment" }'),
        ('email = { path = "email", type = "string" }', 'email = { path = "email", type = "int" }'),
    )
    assert check_config(tmp_path, text, capsys) == [
        "sources.crm.fields.first_name.path: expected a JMESPath expression; unexpected '[' "
        "at character 12 (found 'first_name[[')",
        "sources.crm.fields.email.type: declared type 'int' does not match the model field, "
        "expected 'string'",
        "sources.crm.fields.segmant: unknown target field 'segmant' for entity 'customer'; "
        f"expected one of {CUSTOMER_FIELDS}",
    ]
