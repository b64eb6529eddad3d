"""The layout plan: whatever the log holds, every artifact gets one safe, unique path."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cybercase.evidence import Artifact, EntryDraft, Signer
from cybercase.evidence.log.entry import build_entry
from cybercase.evidence.log.state import CaseState
from cybercase.report.layout import plan_package
from cybercase.report.names import check_relative

SIGNER = Signer.ephemeral("Layout Tester")
ROLES = ["original", "warc", "record", "screenshot", "image", "token", "tsa-chain", "letter"]
ACTIONS = ["item.acquired", "item.imported", "request.created", "response.received", "note.added"]

artifact_specs = st.lists(
    st.tuples(st.sampled_from(ROLES), st.text(max_size=30), st.binary(max_size=4)),
    max_size=4,
)
entry_specs = st.lists(
    st.tuples(
        st.sampled_from(ACTIONS),
        st.lists(st.sampled_from(["E0001", "E0002", "R0001", "E0003"]), max_size=2, unique=True),
        st.dictionaries(
            st.sampled_from(["url", "title", "platform", "type", "original_name"]),
            st.text(max_size=40),
            max_size=3,
        ),
        artifact_specs,
    ),
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(entry_specs, st.sets(st.sampled_from(["E0001", "E0002", "R0001", "E0003"])))
def test_every_artifact_gets_a_safe_unique_path(
    specs: list[tuple[str, list[str], dict[str, Any], list[tuple[str, str, bytes]]]],
    included: set[str],
) -> None:
    import hashlib

    state = CaseState()
    entries = []
    prev: str | None = None
    for seq, (action, items, detail, artifacts) in enumerate(specs, start=1):
        detail = dict(detail)
        detail["artifacts"] = [
            Artifact(
                role=role,
                name=name,
                digest="sha256:" + hashlib.sha256(data).hexdigest(),
                size=len(data),
            ).model_dump()
            for role, name, data in artifacts
        ]
        entry = build_entry(
            seq=seq,
            at="2026-03-01T09:00:00.000000Z",
            actor_name=SIGNER.name,
            actor_key=SIGNER.fingerprint,
            draft=EntryDraft(action, tuple(items), detail),
            prev=prev,
            sign=SIGNER.sign,
        )
        prev = entry.hash
        state.apply(entry)
        entries.append(entry)
    plan = plan_package(state, entries, included & set(state.items))
    paths = [f.path for f in plan.files]
    assert len({p.lower() for p in paths}) == len(paths)
    for planned in plan.files:
        check_relative(planned.path)
        stage = planned.path.split("/")[0]
        assert stage in ("1-collection", "2-requests", "3-preservation", "4-custody")
        if planned.role == "token":
            assert planned.path.startswith("3-preservation/timestamps/")
    for item_id, item in plan.items.items():
        assert item.folder.rsplit("/", 1)[-1].startswith(item_id + "_")
        if item.request is not None:
            request = plan.items[item.request]
            assert item.folder.startswith(f"{request.folder}/responses/")
        else:
            assert item.folder.count("/") == 1
    assert set(plan.excluded) == set(state.items) - included
