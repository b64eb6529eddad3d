"""Benchmark: ``cybercase search`` against ``grep -r`` over the same extracted text.

Builds a case of N listing pages (HTML, imported as items; default 10,000), then, in one
run:

1. times the extraction of every page's text from the case (what ``cybercase analyze``
   and the index read), and writes that text out, one file per item, for grep;
2. analyses the case (``analyze_case``: entities, lexicon, one custody entry);
3. times ``build_index`` (the same as ``cybercase index rebuild``) from the analyses;
4. times a search (the library call behind ``cybercase search``, index freshness check
   included) and ``grep -r -i -l -F`` for the same phrase over the extracted text,
   timed in alternation (so both see the same load on a shared machine), the median of
   each with a warm cache.

Targets: query >= 20x faster than grep; build <= 2x the text-extraction time.

    python benchmarks/search.py [--items 10000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import banner
from cybercase.digest import Digest
from cybercase.evidence import Case, Signer
from cybercase.investigate.analysis import AnalysisSettings, analyze_case
from cybercase.investigate.extract import _html_text
from cybercase.investigate.index import build_index
from cybercase.investigate.lexicon import load_lexicon
from cybercase.investigate.registry import register_folders
from cybercase.investigate.search import search

_VOCABULARY = (
    "carved bangle antique heavy old stock creamy colour discreet shipping worldwide "
    "genuine rare family remedy powder sachet figurine cup bracelet necklace pendant "
    "beads statue hand made polished natural material vintage collection serious buyers "
    "only payment first delivery pick up wholesale retail price negotiable contact me"
)
WORDS = _VOCABULARY.split()


def page(rng: random.Random, number: int) -> bytes:
    """A listing page: random words, a price, a phone; 1 in 200 mentions white plastic."""
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(60, 160)))
    extra = " Offered as white plastic." if number % 200 == 0 else ""
    phone = f"+1 202-555-{rng.randint(100, 199):04d}"
    return (
        f"<html><head><title>Listing {number}</title></head><body><h1>Listing {number}</h1>"
        f"<p>{words}.{extra}</p><p>Price USD {rng.randint(20, 5000)}. Call {phone}.</p>"
        "</body></html>"
    ).encode()


def build_case(root: Path, items: int) -> tuple[Case, Signer]:
    """A case of ``items`` imported listing pages, added in batches."""
    signer = Signer.ephemeral("Benchmark Officer")
    case = Case.create(
        root / "case", case_id="BENCH-S", title="search benchmark", agency="bench", signer=signer
    )
    rng = random.Random(7)
    src = root / "src"
    src.mkdir()
    for start in range(0, items, 1000):
        batch = []
        for number in range(start, min(items, start + 1000)):
            path = src / f"listing-{number:05d}.html"
            path.write_bytes(page(rng, number))
            batch.append(path)
        case.add_files(signer, batch)
        for path in batch:
            path.unlink()
    shutil.rmtree(src)
    return case, signer


def extract(case: Case, out: Path) -> float:
    """Seconds to extract every item's text from the store (also written to ``out``)."""
    out.mkdir()
    start = time.perf_counter()
    for item_id in case.state.evidence_ids():
        artifact = case.state.items[item_id].artifacts[0]
        with case.store.open(Digest.parse(artifact.digest)) as fh:
            text = _html_text(fh.read(), "")
        (out / f"{item_id}.txt").write_text(text, encoding="utf-8")
    return time.perf_counter() - start


def interleaved(first: object, second: object, rounds: int) -> tuple[float, float]:
    """Median seconds of each, timed in alternation so both see the same machine load."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for run, out in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            run()  # type: ignore[operator]
            out.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> None:
    """Run the benchmark and print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, default=None, help="work here and keep it")
    args = parser.parse_args()
    banner(f"search: {args.items} items, cybercase index vs grep -r")
    root = args.keep or Path(tempfile.mkdtemp(prefix="cybercase-search-"))
    root.mkdir(parents=True, exist_ok=True)
    home = root / "home"
    os.environ["CYBERCASE_HOME"] = str(home)
    try:
        start = time.perf_counter()
        case, signer = build_case(root, args.items)
        print(f"   case built: {args.items} items in {time.perf_counter() - start:.1f} s")
        text_dir = root / "text"
        extraction = extract(case, text_dir)
        print(f"   text extraction: {extraction:.2f} s")
        settings = AnalysisSettings(load_lexicon(), "US")
        start = time.perf_counter()
        analyze_case(case, signer, settings)
        analysis = time.perf_counter() - start
        print(f"   analysis (entities, lexicon; one custody entry): {analysis:.1f} s")
        register_folders(home, [case.root])
        start = time.perf_counter()
        report = build_index(home, settings)
        build = time.perf_counter() - start
        assert report.items == args.items and report.computed == 0, report
        phrase = "white plastic"
        expected = len(range(0, args.items, 200))
        hits = search(home, settings, f'"{phrase}"', limit=args.items).hits
        assert len(hits) == expected, (len(hits), expected)
        grep_cmd = ["grep", "-r", "-i", "-l", "-F", phrase, str(text_dir)]
        found = subprocess.run(grep_cmd, capture_output=True, text=True, check=True)
        assert len(found.stdout.splitlines()) == expected
        query, grep = interleaved(
            lambda: search(home, settings, f'"{phrase}"', limit=args.items),
            lambda: subprocess.run(grep_cmd, stdout=subprocess.DEVNULL, check=True),
            9,
        )
        ratio = build / extraction
        print(f"   index build: {build:.2f} s ({ratio:.2f}x the text extraction; target <= 2x)")
        print(f"   query {phrase!r}: cybercase {query * 1000:.1f} ms, grep -r {grep * 1000:.1f} ms")
        print(f"   ratio: query {grep / query:.1f}x faster than grep (target >= 20x)")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
