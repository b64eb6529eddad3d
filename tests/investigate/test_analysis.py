"""Analysis: derived, rebuildable, one signed entry per run; bad images recorded, not fatal."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from cybercase.evidence import Case, Signer
from cybercase.evidence.verify import verify_case
from cybercase.investigate.analysis import (
    ANALYSIS_ACTION,
    analysis_path,
    analyze_case,
    item_analysis,
)
from cybercase.investigate.leads import find_leads, source_of
from cybercase.investigate.records import EntityRecord, ItemAnalysis, TextPart
from tests.investigate.helpers import THREE_WAYS, new_case, seller_files, settings
from tests.investigate.imagegen import photo, png_bomb, reposted


def test_phone_three_ways_is_one_lead_across_two_items(tmp_path: Path, signer: Signer) -> None:
    case = new_case(tmp_path / "case", signer, "WL-P", seller_files())
    run = analyze_case(case, signer, settings("US"))
    phones = {a.item_id: sorted(e.text for e in a.entities if e.kind == "phone") for a in run.items}
    assert phones == {"E0001": [THREE_WAYS[0]], "E0002": sorted(THREE_WAYS[1:])}
    leads = [lead for lead in find_leads(source_of(a) for a in run.items) if lead.kind == "phone"]
    assert len(leads) == 1
    (lead,) = leads
    assert lead.value == "+12025550147"
    assert [i.item_id for i in lead.items] == ["E0001", "E0002"]
    assert any(THREE_WAYS[2] in e for e in lead.items[1].evidence)


def test_french_and_chinese_terms_tagged(tmp_path: Path, signer: Signer) -> None:
    case = new_case(tmp_path / "case", signer, "WL-T", seller_files())
    run = analyze_case(case, signer, settings())
    hits = {a.item_id: [(h.matched, h.lang, h.species) for h in a.hits] for a in run.items}
    elephants = ["Loxodonta africana", "Elephas maximus"]
    assert hits["E0001"] == [("ivoire", "fr", elephants)]
    assert hits["E0002"] == [("象牙", "zh", elephants)]
    prices = {e.value for a in run.items for e in a.entities if e.kind == "price"}
    assert prices == {"EUR 450", "USD 500", "CNY 3000"}


def test_one_signed_entry_per_run_and_rebuildable(tmp_path: Path, signer: Signer) -> None:
    case = new_case(tmp_path / "case", signer, "WL-R", seller_files())
    before = len(list(case.entries()))
    lexicon = settings()
    run = analyze_case(case, signer, lexicon)
    entries = list(case.entries())
    assert len(entries) == before + 1
    entry = entries[-1]
    assert entry.action == ANALYSIS_ACTION and entry.seq == run.entry_seq
    assert entry.items == ("E0001", "E0002")
    assert entry.detail["lexicon"] == lexicon.lexicon.digest
    assert entry.detail["tool"].startswith("cybercase ")
    first = {i: analysis_path(case, i).read_bytes() for i in ("E0001", "E0002")}
    for item_id, data in first.items():
        assert entry.detail["results"][item_id] == "sha256:" + hashlib.sha256(data).hexdigest()
    for path in (case.root / "derived").rglob("*.json"):
        path.unlink()
    analyze_case(Case.open(case.root), signer, lexicon)
    assert {i: analysis_path(case, i).read_bytes() for i in first} == first
    report = verify_case(case.root)
    assert report.ok, report.to_json()


def test_bad_images_are_recorded_as_not_hashed(tmp_path: Path, signer: Signer) -> None:
    good = photo(11)
    files = {
        "photo.jpg": good,
        "repost.jpg": reposted(good, quality=60, scale=0.5),
        "bomb.png": png_bomb(10_000, 10_000),
        "cut.jpg": good[: len(good) // 2],
        "other.jpg": photo(12),
    }
    case = new_case(tmp_path / "case", signer, "WL-I", files)
    run = analyze_case(case, signer, settings())
    images = {a.item_id: a.images[0] for a in run.items}
    assert images["E0001"].phash and images["E0002"].phash and images["E0005"].phash
    assert images["E0003"].phash is None
    assert (images["E0003"].not_hashed or "").startswith("decompression bomb")
    assert images["E0004"].phash is None and "truncated" in (images["E0004"].not_hashed or "")
    assert run.summary()["images_not_hashed"] == 2
    photos = [lead for lead in find_leads(source_of(a) for a in run.items) if lead.kind == "photo"]
    assert [[i.item_id for i in lead.items] for lead in photos] == [["E0001", "E0002"]]
    stored = item_analysis(case, "E0003")
    assert stored is not None and stored.images[0].not_hashed


def test_analysis_never_touches_the_objects(tmp_path: Path, signer: Signer) -> None:
    case = new_case(tmp_path / "case", signer, "WL-O", seller_files())
    objects = sorted(p.relative_to(case.root) for p in (case.root / "objects").rglob("*"))
    analyze_case(case, signer, settings())
    assert sorted(p.relative_to(case.root) for p in (case.root / "objects").rglob("*")) == objects


@given(
    st.lists(
        st.tuples(st.sampled_from(["phone", "price", "btc"]), st.text(max_size=20)), max_size=5
    ),
    st.text(max_size=200),
)
def test_analysis_file_round_trips(entities: list[tuple[str, str]], text: str) -> None:
    analysis = ItemAnalysis(
        case_id="WL-1",
        item_id="E0001",
        tool="cybercase 0",
        lexicon="sha256:" + "0" * 64,
        region="US",
        kind="file",
        acquired="2026-01-01T00:00:00.000000Z",
        texts=[TextPart(artifact="a.txt", sha256="sha256:" + "1" * 64, text=text)],
        entities=[
            EntityRecord(kind=k, value=v, text=v, artifact="a.txt", offset=i)
            for i, (k, v) in enumerate(entities)
        ],
    )
    data = analysis.to_bytes()
    assert ItemAnalysis.model_validate_json(data) == analysis
    assert ItemAnalysis.model_validate_json(data).to_bytes() == data
