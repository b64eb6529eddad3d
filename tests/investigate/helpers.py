"""Cases with imported fixtures for the investigate tests."""

from __future__ import annotations

from pathlib import Path

from cybercase.evidence import Case, Signer
from cybercase.investigate.analysis import AnalysisSettings
from cybercase.investigate.lexicon import load_lexicon

THREE_WAYS = ("+1 202-555-0147", "(202) 555-0147", "202.555.0147")


def settings(region: str | None = "US", extra: list[Path] | None = None) -> AnalysisSettings:
    """The shipped lexicon (plus ``extra`` files) and a default phone region."""
    return AnalysisSettings(load_lexicon(extra or []), region)


def new_case(root: Path, signer: Signer, case_id: str, files: dict[str, bytes]) -> Case:
    """A case holding ``files`` as imported items, in the order given."""
    case = Case.create(root, case_id=case_id, title=f"{case_id} test", agency="Unit", signer=signer)
    sources = root.parent / f"{root.name}-files"
    sources.mkdir()
    paths = []
    for name, body in files.items():
        path = sources / name
        path.write_bytes(body)
        paths.append(path)
    case.add_files(signer, paths)
    return case


def seller_files() -> dict[str, bytes]:
    """Two items giving one phone three ways, French and Chinese terms, prices."""
    return {
        "chat.txt": (
            f"Vends ivoire ancien, 450 € ou USD 500. Appelez {THREE_WAYS[0]} ou @bonecraft_deals.\n"
        ).encode(),
        "listing.html": (
            "<html><head><title>手镯</title></head><body><p>出售象牙手镯，价格 3000元。</p>"
            f"<p>Call {THREE_WAYS[1]} or {THREE_WAYS[2]}</p></body></html>"
        ).encode(),
    }
