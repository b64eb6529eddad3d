"""The report shows each analysed item's entities and lexicon hits, and the links between items."""

from __future__ import annotations

from pathlib import Path

from cybercase.evidence import Case, Signer
from cybercase.investigate.analysis import analysis_path, analyze_case
from cybercase.report.export.package import export_case
from tests.investigate.helpers import new_case, seller_files, settings


def _index_html(case: Case, signer: Signer, out: Path) -> str:
    result = export_case(case, signer, out, pdf=False)
    return (result.path / "index.html").read_text(encoding="utf-8")


def test_report_shows_entities_hits_and_links(tmp_path: Path, signer: Signer) -> None:
    case = new_case(tmp_path / "case", signer, "WL-REP", seller_files())
    analyze_case(case, signer, settings("US"))
    html = _index_html(Case.open(case.root), signer, tmp_path / "out")
    assert 'id="E0001-analysis"' in html and 'id="E0002-analysis"' in html
    assert "<td>象牙</td><td><em>Loxodonta africana, Elephas maximus</em></td><td>I/II</td>" in html
    assert "Wikipedia (zh): 象牙" in html
    links = html.split('id="links"')[1].split("</table>")[0]
    assert "<td>phone</td>" in links and "+12025550147" in links
    assert '<a href="#E0001">E0001</a>' in links and '<a href="#E0002">E0002</a>' in links


def test_an_analysis_changed_after_it_was_logged_is_not_shown(
    tmp_path: Path, signer: Signer
) -> None:
    case = new_case(tmp_path / "case", signer, "WL-REP2", seller_files())
    analyze_case(case, signer, settings("US"))
    path = analysis_path(case, "E0002")
    path.write_bytes(path.read_bytes().replace("象牙".encode(), "犀角".encode()))
    html = _index_html(Case.open(case.root), signer, tmp_path / "out")
    assert 'id="E0001-analysis"' in html
    assert 'id="E0002-analysis"' not in html and "犀角" not in html


def test_without_analysis_the_report_says_so(tmp_path: Path, signer: Signer) -> None:
    case = new_case(tmp_path / "case", signer, "WL-REP3", seller_files())
    html = _index_html(case, signer, tmp_path / "out")
    assert "No item has been analysed" in html and "-analysis" not in html
