"""Investigate commands: ``analyze``, ``leads``, ``search``, ``index``, ``cases``."""

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cybercase.cli.common import (
    CASE_OPTION,
    CONFIG_OPTION,
    JSON_OPTION,
    KEY_OPTION,
    emit_json,
    load_signer,
    open_case,
    out,
    progress_for,
    say,
)

if TYPE_CHECKING:
    from cybercase.evidence import Case, ItemView
    from cybercase.investigate.records import ItemAnalysis

index_app = typer.Typer(
    help="The search index of every registered case (in your cybercase folder).",
    no_args_is_help=True,
)
cases_app = typer.Typer(
    help="The cases 'cybercase search' and 'cybercase leads' look in.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Attach the investigate commands."""
    app.command("analyze")(analyze)
    app.command("leads")(leads)
    app.command("search")(search)
    app.add_typer(index_app, name="index")
    app.add_typer(cases_app, name="cases")


def _home() -> Path:
    from cybercase.settings import user_home

    return user_home()


def analyze(
    items: list[str] = typer.Argument(
        None, metavar="[ITEM]...", help="Items to analyse (E0001...). Default: every item."
    ),
    case_dir: Path = CASE_OPTION,
    config: Path = CONFIG_OPTION,
    key: str = KEY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Find phones, handles, wallets, prices, species terms and photo hashes in items.

    The results are kept in the case's derived/analysis folder (rebuildable: run this
    again) and one signed custody entry records that the analysis ran, with the
    cybercase version and the lexicon's hash. The evidence itself is not changed.
    """
    from cybercase.investigate.analysis import AnalysisSettings, analyze_case
    from cybercase.investigate.records import dump_json

    settings = AnalysisSettings.load(config)
    case = open_case(case_dir)
    signer = load_signer(key)
    progress = progress_for(json_out)
    progress.start("Analysing", None)
    run = analyze_case(case, signer, settings, items or (), on_item=lambda _: progress.advance())
    progress.finish()
    if json_out:
        emit_json(
            {
                "entry": run.entry_seq,
                "lexicon": run.lexicon,
                "region": run.region,
                "summary": run.summary(),
                "items": [dump_json(a) for a in run.items],
            }
        )
        return
    for analysis in run.items:
        out().print(
            f"{analysis.item_id}  {len(analysis.entities):>4} entities  "
            f"{len(analysis.hits):>3} lexicon hits  "
            f"{sum(1 for i in analysis.images if i.phash):>3} image(s) hashed"
            + (
                f", {sum(1 for i in analysis.images if i.not_hashed)} not hashed"
                if any(i.not_hashed for i in analysis.images)
                else ""
            ),
            markup=False,
        )
    if run.entry_seq is None:
        say("No evidence item to analyse.")
        return
    summary = run.summary()
    say(
        f"{summary['items']} item(s) analysed; recorded as entry {run.entry_seq} "
        f"(lexicon {run.lexicon[:19]}…). See them with 'cybercase show ITEM', "
        "links with 'cybercase leads'."
    )


def show_analysis(case: "Case", view: "ItemView") -> "ItemAnalysis | None":
    """The hook 'cybercase show' calls: the stored analysis of an item, if any."""
    from cybercase.investigate.analysis import item_analysis

    return item_analysis(case, view.id)


def render_analysis(analysis: "ItemAnalysis | None") -> None:
    """Entities and lexicon hits under 'cybercase show' (nothing if never analysed)."""
    from cybercase.cli.common import shown

    if analysis is None:
        say("Not analysed yet: 'cybercase analyze ITEM' finds its entities and species terms.")
        return
    console = out()
    console.print(
        f"\n[bold]Entities[/bold] ({len(analysis.entities)}; {analysis.tool}, "
        f"lexicon {analysis.lexicon[:19]}…)"
    )
    for e in analysis.entities:
        note = f"  [dim]{shown(e.note)}[/dim]" if e.note else ""
        console.print(
            f"  {e.kind:<9} {shown(e.value)}  [dim]{shown(repr(e.text))} in {shown(e.artifact)} "
            f"at {e.offset}[/dim]{note}"
        )
    console.print(f"[bold]Lexicon hits[/bold] ({len(analysis.hits)})")
    for h in analysis.hits:
        cites = "/".join(h.cites) or "not listed"
        tag = shown(f"[{h.lang}, {h.kind}]")
        console.print(
            f"  {shown(h.matched)} {tag} → {shown(', '.join(h.species))} "
            f"(CITES {cites})  [dim]{shown(h.artifact)} at {h.offset}; {shown(h.source)}[/dim]"
        )
    for image in analysis.images:
        if image.not_hashed:
            console.print(
                f"  [dim]{shown(image.artifact)}: not hashed ({shown(image.not_hashed)})[/dim]"
            )


def leads(
    case_dir: Path = typer.Option(
        None,
        "--case",
        "-C",
        help="Only leads that name an item of this case (registered or not). "
        "Default: every registered case.",
        show_default=False,
        metavar="FOLDER",
    ),
    config: Path = CONFIG_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """What links items: the same phone, handle, wallet, camera serial, place or photo.

    Compares the items of every registered case ('cybercase cases add DIR') and, with
    --case, that case too. Each lead names the items and the evidence for the link.
    """
    from cybercase.investigate.analysis import AnalysisSettings
    from cybercase.investigate.leads import leads_across

    settings = AnalysisSettings.load(config)
    focus = None
    if case_dir is not None:
        from cybercase.evidence import locate_case

        focus = locate_case(case_dir)
    report = leads_across(_home(), settings, focus)
    if json_out:
        emit_json(
            {
                "cases": report.cases,
                "focus": report.focus,
                "skipped": [{"folder": f, "reason": r} for f, r in report.skipped],
                "leads": [lead.to_json() for lead in report.leads],
            }
        )
        return
    for folder, reason in report.skipped:
        say(f"[yellow]skipped[/yellow] {folder}: {reason}")
    if not report.leads:
        say(f"No lead among {len(report.cases)} case(s).")
        return
    console = out()
    for lead in report.leads:
        console.print(
            f"[bold]{lead.kind}[/bold] {lead.value}  ({len(lead.items)} items)", markup=True
        )
        if lead.detail:
            console.print(f"  {lead.detail}", markup=False, style="dim")
        for item in lead.items:
            evidence = "; ".join(item.evidence)
            console.print(
                f"  {item.case_id} {item.item_id}  {item.title or ''}  — {evidence}", markup=False
            )
    say(f"{len(report.leads)} lead(s) among {len(report.cases)} case(s).")


def search(
    words: str = typer.Argument(
        None,
        metavar="[WORDS]",
        help='Words to find (all of them); "a phrase" in quotes; ivor* for a prefix.',
    ),
    entity: str = typer.Option(
        None,
        "--entity",
        "-e",
        metavar="KIND:VALUE",
        help="Items holding this entity, e.g. phone:+254712345678, handle:@seller, btc:1A1z…",
    ),
    species: str = typer.Option(
        None,
        "--species",
        "-s",
        metavar="NAME",
        help="Items with a lexicon hit for this species (scientific or common name).",
    ),
    limit: int = typer.Option(50, "--limit", "-n", metavar="N", help="At most N items."),
    db: str = typer.Option(
        None,
        "--db",
        metavar="postgresql://USER@HOST:PORT/DATABASE",
        help="Search the agency's shared index instead (see 'cybercase index --to').",
        show_default=False,
    ),
    config: Path = CONFIG_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Search every registered case: text, entities and species, with snippets.

    The index is brought up to date first (only changed cases are read again). Cases
    are only read: searching never changes a case. A case that fails to open is named
    and skipped.
    """
    from cybercase.investigate.analysis import AnalysisSettings
    from cybercase.investigate.search import search as run_search

    settings = AnalysisSettings.load(config)
    if db is not None:
        from cybercase.agency.shared_search import search_shared

        result = search_shared(db, settings, words, entity=entity, species=species, limit=limit)
    else:
        result = run_search(_home(), settings, words, entity=entity, species=species, limit=limit)
    if json_out:
        emit_json(
            {
                "cases_searched": result.cases,
                "skipped": [{"folder": f, "reason": r} for f, r in result.skipped],
                "hits": [_hit_json(h) for h in result.hits],
            }
        )
        return
    from cybercase.cli.common import shown

    for folder, reason in result.skipped:
        say(f"[yellow]skipped[/yellow] {shown(folder)}: {shown(reason)}")
    console = out()
    for hit in result.hits:
        label = shown(hit.title or hit.url or "")
        console.print(f"[bold]{shown(hit.case_id)} {hit.item_id}[/bold]  {label}")
        snippet = shown(hit.snippet).replace("«", "[reverse]").replace("»", "[/reverse]")
        console.print(f"  {snippet}")
        for extra in (*hit.entities, *hit.species):
            console.print(f"  [dim]{shown(extra)}[/dim]")
    say(f"{len(result.hits)} item(s) in {result.cases} case(s).")
    if result.cases == 0 and not result.skipped:
        say("No case is registered: add one with 'cybercase cases add DIR'.")


def _hit_json(hit: Any) -> dict[str, Any]:
    return {
        "case": hit.case_id,
        "case_path": hit.case_path,
        "item": hit.item_id,
        "kind": hit.kind,
        "title": hit.title,
        "url": hit.url,
        "acquired": hit.acquired,
        "snippet": hit.snippet,
        "entities": hit.entities,
        "species": hit.species,
    }


@index_app.command("rebuild")
def index_rebuild(config: Path = CONFIG_OPTION, json_out: bool = JSON_OPTION) -> None:
    """Build the index anew from every registered case (safe at any time: it is derived)."""
    from cybercase.investigate.analysis import AnalysisSettings
    from cybercase.investigate.index import build_index

    settings = AnalysisSettings.load(config)
    progress = progress_for(json_out)
    progress.start("Indexing", None)
    report = build_index(_home(), settings, on_item=lambda _: progress.advance())
    progress.finish()
    if json_out:
        emit_json(
            {
                "index": str(report.path),
                "cases": report.indexed,
                "items": report.items,
                "computed": report.computed,
                "skipped": [{"folder": f, "reason": r} for f, r in report.skipped],
            }
        )
        return
    from cybercase.cli.common import shown

    for folder, reason in report.skipped:
        say(f"[yellow]skipped[/yellow] {shown(folder)}: {shown(reason)}")
    say(
        f"Index rebuilt: {report.items} item(s) of {len(report.indexed)} case(s) in "
        f"{shown(str(report.path))}"
        + (
            f" ({report.computed} analysed for the index only: run 'cybercase analyze' in "
            "their case to record the analysis)"
            if report.computed
            else ""
        )
    )


@cases_app.command("add")
def cases_add(
    folders: list[Path] = typer.Argument(
        ..., metavar="DIR...", help="A case folder, or a folder holding case folders."
    ),
    json_out: bool = JSON_OPTION,
) -> None:
    """Register cases to search (a folder of cases is searched again for new ones each time)."""
    from cybercase.investigate.registry import register_folders

    added = register_folders(_home(), folders)
    if json_out:
        emit_json([{"kind": kind, "folder": str(path)} for kind, path in added])
        return
    for kind, path in added:
        say(f"Registered {'case' if kind == 'case' else 'folder of cases'} {path}")


@cases_app.command("remove")
def cases_remove(
    folder: Path = typer.Argument(..., metavar="DIR", help="A registered folder."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Stop searching a case or a folder of cases (the cases themselves are untouched)."""
    from cybercase.errors import NotFoundError
    from cybercase.investigate.registry import unregister_folder

    if not unregister_folder(_home(), folder):
        raise NotFoundError(f"{folder} is not registered", hint="see 'cybercase cases list'")
    if json_out:
        emit_json({"removed": str(folder)})
        return
    say(f"No longer searched: {folder}")


@cases_app.command("list")
def cases_list(json_out: bool = JSON_OPTION) -> None:
    """The registered cases and folders, and every case found in them."""
    from cybercase.investigate.registry import Registry

    registry = Registry.load(_home())
    folders = registry.case_folders()
    if json_out:
        emit_json(
            {
                "cases": [str(p) for p in registry.cases],
                "roots": [str(p) for p in registry.roots],
                "found": [str(p) for p in folders],
            }
        )
        return
    for path in folders:
        out().print(str(path), markup=False)
    say(f"{len(folders)} case(s) registered ({len(registry.roots)} folder(s) of cases).")
