"""``customer-graph warm``: pages of customers loaded from every source into the shared
cache, one call per source per page, so the replicas' queries find them there."""

from __future__ import annotations

import asyncio
import io

import pytest
from rich.console import Console

from gateway.cli import main
from gateway.settings import Settings
from gateway.warm import WarmOptions, WarmReport, run_warm, warm
from tests.conftest import Gateway, ManualClock, Sandbox, StartGateway, sandbox_settings
from tests.test_cache import ALL_SOURCES, NO_CALLS, ids, metric
from tests.test_cache_redis import shared_settings

SOURCES = ("crm", "orders", "loyalty", "preferences", "support")


def run(settings: Settings, options: WarmOptions, clock: ManualClock) -> WarmReport:
    report = WarmReport()
    asyncio.run(warm(settings, options, report, clock=clock))
    return report


def test_warmed_customers_are_served_by_another_process_without_upstream_calls(
    sandbox: Sandbox, redis_prefix: str, start_gateway: StartGateway
) -> None:
    clock = ManualClock()
    settings = shared_settings(sandbox, redis_prefix)
    report = run(settings, WarmOptions(pages=2), clock)
    assert (report.pages, report.customers, report.ok) == (2, 100, True)
    assert report.failed == dict.fromkeys(SOURCES, 0)
    sandbox.reset()
    with start_gateway(settings, clock=clock) as url:
        gateway = Gateway(url)
        answer = gateway.query(ALL_SOURCES, {"ids": ids(1, 100)})
        assert "errors" not in answer
        assert [c["id"] for c in answer["data"]["customers"]] == ids(1, 100)
        assert sandbox.calls() == NO_CALLS
        assert metric(gateway, "customer_graph_cache_l2_hits_total", source="orders") == 100


def test_each_page_costs_one_call_per_source(sandbox: Sandbox, redis_prefix: str) -> None:
    report = run(shared_settings(sandbox, redis_prefix), WarmOptions(pages=3), ManualClock())
    assert report.calls == dict.fromkeys(SOURCES, 3)
    assert sandbox.calls() == dict.fromkeys(SOURCES, 3)
    stats = sandbox.stats()
    pages = [ids(1, 50), ids(51, 100), ids(101, 150)]
    assert sorted(stats["orders"]["ids"]) == sorted(pages)
    assert sorted(stats["preferences"]["ids"]) == sorted(
        [[f"C{int(i):07d}" for i in page] for page in pages]
    )


def test_a_run_resumes_from_the_cursor_it_printed(sandbox: Sandbox, redis_prefix: str) -> None:
    settings = shared_settings(sandbox, redis_prefix)
    first = run(settings, WarmOptions(pages=1, page_size=20), ManualClock())
    assert first.resume_after is not None
    sandbox.reset()
    second = run(
        settings, WarmOptions(pages=1, page_size=20, after=first.resume_after), ManualClock()
    )
    assert second.customers == 20
    assert sandbox.stats()["orders"]["ids"] == [ids(21, 40)]


def listed_since(sandbox: Sandbox, since: str) -> list[str]:
    """Every customer the CRM lists as changed since ``since``, asked directly."""
    found: list[str] = []
    cursor = None
    while True:
        query = {"limit": "100", "updated_since": since, **({"cursor": cursor} if cursor else {})}
        page = sandbox.http.get("/crm/customers", params=query).raise_for_status().json()
        found += [c["id"] for c in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def test_changed_since_warms_exactly_the_customers_changed(
    sandbox: Sandbox, redis_prefix: str
) -> None:
    moments = sorted(sandbox.data.customer(str(i)).updated_at for i in range(1, 10_001))
    since = moments[-120]
    expected = listed_since(sandbox, since.isoformat())
    sandbox.reset()
    settings = shared_settings(sandbox, redis_prefix)
    report = run(settings, WarmOptions(updated_since=since), ManualClock())
    assert report.finished
    assert report.resume_after is None
    assert report.customers == len(expected)
    warmed = [cid for batch in sandbox.stats()["orders"]["ids"] for cid in batch]
    assert sorted(warmed, key=int) == expected


def test_a_failing_source_is_reported_and_the_others_stay_warm(
    sandbox: Sandbox, redis_prefix: str, start_gateway: StartGateway
) -> None:
    clock = ManualClock()
    settings = shared_settings(sandbox, redis_prefix)
    sandbox.set_faults(loyalty={"failure_rate": 1.0, "status": 400})
    report = run(settings, WarmOptions(pages=1), clock)
    assert report.failed == {"crm": 0, "orders": 0, "loyalty": 50, "preferences": 0, "support": 0}
    assert not report.ok
    sandbox.reset()
    with start_gateway(settings, clock=clock) as url:
        Gateway(url).query(ALL_SOURCES, {"ids": ids(1, 50)})
    assert sandbox.calls() == {"crm": 0, "orders": 0, "loyalty": 1, "preferences": 0}


def test_warming_without_redis_is_refused(sandbox: Sandbox) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run_warm(
        sandbox_settings(sandbox.url), WarmOptions(), Console(file=out), Console(file=err)
    )
    assert code == 2
    assert "cache.redis_url is not set" in err.getvalue()
    assert sandbox.calls() == NO_CALLS


def test_the_command_prints_a_summary_and_where_to_resume(
    sandbox: Sandbox,
    redis_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SANDBOX_URL", sandbox.url)
    monkeypatch.setenv("CG_CACHE__REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("CG_CACHE__REDIS_PREFIX", redis_prefix)
    assert main(["warm", "--pages", "2", "--page-size", "10", "--concurrency", "2"]) == 0
    out = capsys.readouterr().out
    assert "warmed 20 customers in 2 pages" in out
    cursor = out.split("resume with: --after ")[1].split()[0]
    sandbox.reset()
    assert main(["warm", "--pages", "1", "--page-size", "10", "--after", cursor]) == 0
    assert sandbox.stats()["orders"]["ids"] == [ids(21, 30)]
