"""Letters: built-in templates, an agency's overrides, languages, escaping and the PDF."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from cybercase.errors import BrowserUnavailableError, InvalidInputError
from cybercase.evidence import Artifact, Case, Signer
from cybercase.request import RequestConfig, create_request, extend_request, mark_sent
from tests.fixtures.requests import CONFIG_TOML, preservation_spec
from tests.request.test_transitions import snapshot


def _config(**request: str) -> RequestConfig:
    import tomllib

    raw = tomllib.loads(CONFIG_TOML)
    raw["request"] = request
    return RequestConfig.from_config(raw)


def _letter(case: Case, result_artifacts: Sequence[Artifact]) -> str:
    html = next(a for a in result_artifacts if a.role in ("letter", "extension-letter"))
    return case.read_object(html.digest).decode("utf-8")


@pytest.mark.parametrize("kind", ["preservation", "disclosure", "emergency", "takedown"])
def test_builtin_letters_state_the_article_29_fields(
    rcase: Case, signer: Signer, request_config: RequestConfig, kind: str
) -> None:
    spec = preservation_spec(
        type=kind, legal_basis="Court order 12/2026", emergency="Live animal in transit"
    )
    result = create_request(rcase, signer, spec, config=request_config, pdf=None)
    html = _letter(rcase, result.artifacts)
    assert html.startswith("<!DOCTYPE html>")
    for expected in (
        "National Wildlife Crime Unit",  # the authority (a)
        "Example Marketplace Ltd",  # the custodian (d)
        "ivory_dealer_77",  # the data to preserve (c)
        "Inspector",
        "NWCU-0457",
        "a.okafor@wildlife.example",
        "+254 700 000 000",
    ):
        assert expected in html, (kind, expected)
    if kind == "preservation":
        for expected in (
            "Dealing in a listed species",  # the offence (b)
            "Pangolin scales offered for sale",  # the facts (b)
            "The account posted the listing",  # relation (c)
            "The seller deletes listings",  # necessity (e)
            "a request for mutual legal assistance",  # follow-up (f)
            "Please do not inform the account holder",
            "keep it for\n90 days",
        ):
            assert expected in html, expected
    assert result.entry.detail["letter"] == {
        "template": f"{kind}.html.j2",
        "source": "built-in",
        "language": "en",
    }


def test_agency_letterhead_override(rcase: Case, signer: Signer, tmp_path: Path) -> None:
    folder = tmp_path / "agency-letters"
    folder.mkdir()
    (folder / "letterhead.html.j2").write_text(
        '<div class="letterhead">REPUBLIC OF KENYA — {{ agency.agency|upper }}</div>\n',
        encoding="utf-8",
    )
    (folder / "signature.html.j2").write_text(
        "<p>Signed: {{ officer.name }} ({{ officer.badge }}) — for the Director</p>\n",
        encoding="utf-8",
    )
    result = create_request(
        rcase, signer, preservation_spec(), config=_config(templates=str(folder)), pdf=None
    )
    html = _letter(rcase, result.artifacts)
    assert "REPUBLIC OF KENYA — NATIONAL WILDLIFE CRIME UNIT" in html
    assert "Signed: Amina Okafor (NWCU-0457) — for the Director" in html
    assert "Yours faithfully" not in html  # the built-in signature block is replaced
    assert "Request for the expedited preservation" in html  # the rest is built-in
    described = result.entry.detail["letter"]
    assert described["source"] == "built-in"
    assert set(described["agency_templates"]) == {"letterhead.html.j2", "signature.html.j2"}
    assert all(v.startswith("sha256:") for v in described["agency_templates"].values())


def test_agency_replaces_a_whole_letter_and_adds_a_language(
    rcase: Case, signer: Signer, tmp_path: Path
) -> None:
    folder = tmp_path / "letters"
    (folder / "fr").mkdir(parents=True)
    (folder / "fr" / "preservation.html.j2").write_text(
        "<html><body><h1>Demande de conservation</h1><p>Réf. {{ reference }}</p>"
        "{% for t in targets %}<p>{{ t.value }}</p>{% endfor %}</body></html>\n",
        encoding="utf-8",
    )
    result = create_request(
        rcase,
        signer,
        preservation_spec(),
        config=_config(templates=str(folder), language="fr"),
        pdf=None,
    )
    html = _letter(rcase, result.artifacts)
    assert "Demande de conservation" in html and "Réf. WL-2026-014/R0001" in html
    assert result.entry.detail["letter"]["template"] == "fr/preservation.html.j2"
    assert result.entry.detail["letter"]["source"] == "agency"
    assert result.entry.detail["letter"]["language"] == "fr"
    # The extension letter follows the language of the request, whatever the config says.
    mark_sent(rcase, signer, "R0001", via="portal")
    extended = extend_request(
        rcase, signer, "R0001", config=_config(templates=str(folder)), pdf=None
    )
    assert extended.entry.detail["letter"]["template"] == "fr/preservation.html.j2"
    # No German template anywhere: the letter falls back to English and says so.
    german = create_request(
        rcase, signer, preservation_spec(language="de"), config=_config(), pdf=None
    )
    assert "no 'de' template for preservation letters: the letter is in English" in (
        german.messages
    )
    assert german.entry.detail["letter"]["language"] == "en"


def test_broken_agency_templates_are_one_line_errors_and_change_nothing(
    rcase: Case, signer: Signer, tmp_path: Path
) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    template = folder / "preservation.html.j2"
    for text, words in (
        ("<p>{% if %}</p>", "preservation.html.j2 line 1"),
        ("<p>{{ officer.rank }}</p>", "uses an unknown value"),
    ):
        template.write_text(text, encoding="utf-8")
        before = snapshot(rcase)
        with pytest.raises(InvalidInputError, match=words):
            create_request(
                rcase, signer, preservation_spec(), config=_config(templates=str(folder)), pdf=None
            )
        assert snapshot(rcase) == before
    with pytest.raises(InvalidInputError, match="not a folder"):
        create_request(
            rcase,
            signer,
            preservation_spec(),
            config=_config(templates=str(tmp_path / "missing")),
            pdf=None,
        )


def test_text_from_web_pages_is_escaped(
    rcase: Case, signer: Signer, request_config: RequestConfig
) -> None:
    spec = preservation_spec(
        targets=("account:<script>alert(1)</script>",), summary='Seller said "<b>cash only</b>"'
    )
    html = _letter(
        rcase, create_request(rcase, signer, spec, config=request_config, pdf=None).artifacts
    )
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&lt;b&gt;cash only&lt;/b&gt;&#34;" in html


def test_pdf_is_skipped_in_one_line_when_the_browser_is_unavailable(
    rcase: Case, signer: Signer, request_config: RequestConfig
) -> None:
    def no_browser(html: str) -> bytes:
        raise BrowserUnavailableError("no Chromium found", hint="install chromium")

    result = create_request(
        rcase, signer, preservation_spec(), config=request_config, pdf=no_browser
    )
    assert [a.role for a in result.artifacts] == ["request", "letter"]
    assert result.messages[-1] == "PDF not made: no Chromium found (letter.html is kept)"


def test_pdf_from_a_maker_is_an_artifact(
    rcase: Case, signer: Signer, request_config: RequestConfig
) -> None:
    seen: list[str] = []

    def maker(html: str) -> bytes:
        seen.append(html)
        return b"%PDF-1.7\n% stand-in bytes for the storage path\n%%EOF\n"

    result = create_request(rcase, signer, preservation_spec(), config=request_config, pdf=maker)
    pdf = result.artifacts[-1]
    assert (pdf.role, pdf.name, pdf.media_type) == ("letter-pdf", "letter.pdf", "application/pdf")
    assert seen == [_letter(rcase, result.artifacts)]
    mark_sent(rcase, signer, "R0001", via="portal")
    extended = extend_request(rcase, signer, "R0001", config=request_config, pdf=maker)
    assert [a.name for a in extended.artifacts] == ["extension-1.html", "extension-1.pdf"]
    assert [a.role for a in extended.artifacts] == ["extension-letter", "extension-letter-pdf"]


@pytest.mark.browser
def test_pdf_through_the_real_browser(
    rcase: Case, signer: Signer, request_config: RequestConfig
) -> None:
    pytest.importorskip("cybercase.collect.browser", reason="no browser module in this build")
    result = create_request(rcase, signer, preservation_spec(), config=request_config, pdf="auto")
    pdfs = [a for a in result.artifacts if a.role == "letter-pdf"]
    assert len(pdfs) == 1, result.messages
    data = rcase.read_object(pdfs[0].digest)
    assert data.startswith(b"%PDF") and b"%%EOF" in data[-1024:]
