"""The public surface of request, cli, agency, investigate and training is deliberate.

Each package's ``__init__`` names a small curated API in ``__all__``; a name added or
removed there is a decision, so it shows up here. The import-linter contract that
forbids import cycles inside these packages runs in ``test_architecture``.
"""

from __future__ import annotations

import importlib

import pytest

PUBLIC: dict[str, list[str]] = {
    "cybercase.request": [
        "DEFAULT_DUE_DAYS",
        "Deadline",
        "FieldSpec",
        "MissingValuesError",
        "Platform",
        "PlatformDirectory",
        "RequestConfig",
        "RequestDetails",
        "RequestRecord",
        "RequestSpec",
        "RequestStatus",
        "RequestSummary",
        "StepResult",
        "close_request",
        "create_request",
        "derive",
        "derive_all",
        "due_requests",
        "extend_request",
        "init_user_directory",
        "list_requests",
        "load_directory",
        "mark_sent",
        "record_response",
        "request_details",
        "save_request_files",
    ],
    "cybercase.cli": [
        "app",
        "main",
    ],
    "cybercase.agency": [
        "CaptureService",
        "PublishReport",
        "QueuedUrl",
        "Replica",
        "ReplicationResult",
        "RestoreResult",
        "Retention",
        "SharedRequest",
        "WorkerOptions",
        "add_urls",
        "not_installed",
        "publish_index",
        "queue_counts",
        "replicate",
        "restore",
        "run_worker",
        "search_shared",
        "shared_requests",
        "verify_against",
    ],
    "cybercase.investigate": [
        "AnalysisSettings",
        "ItemAnalysis",
        "Lead",
        "Registry",
        "SearchHit",
        "SearchResult",
        "analyze_case",
        "build_index",
        "find_leads",
        "item_analysis",
        "logged_analyses",
        "refresh_index",
        "search",
    ],
    "cybercase.training": [
        "DEFAULT_PORT",
        "LocalTimestampAuthority",
        "Marketplace",
        "TsaPki",
        "Visit",
        "run_demo",
        "run_test_tsa",
        "start_classroom_tsa",
        "start_test_tsa",
        "tamper",
    ],
}


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_public_names(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == PUBLIC[package]
    for name in module.__all__:
        assert getattr(module, name, None) is not None, f"{package}.{name}"


def test_no_cycles_contract_covers_these_packages() -> None:
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    acyclic = [c for c in contracts if c["type"] == "acyclic_siblings"]
    covered = {ancestor for c in acyclic for ancestor in c["ancestors"]}
    assert set(PUBLIC) <= covered
