"""The repository's citations resolve inside the repository.

Code comments, docstrings, scenario files and docs cite the project's domain notes by section
("§1.9", "§7.16", "§1.6-1.7"). Every such reference, anywhere in the repository, must name a
numbered section that exists in `docs/domain-notes.md`, and a file that uses them must say
where they point. Every source the notes and the ODD description cite by author and year must
have a full entry in `docs/references.md`. A clone can then check where each default came from.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
NOTES = DOCS / "domain-notes.md"
REFERENCES = DOCS / "references.md"

SECTION_SIGN = "\u00a7"
TEXT_SUFFIXES = {".py", ".toml", ".md", ".txt", ".cfg", ".ini", ".yaml", ".yml", ".rst", ".html"}
SKIPPED_DIRS = {"__pycache__", "node_modules", "build", "dist", "out", "results"}

SECTION_ID = r"\d+(?:\.\d+)?"
REFERENCE = re.compile(
    rf"{SECTION_SIGN}\s*(?P<first>{SECTION_ID})(?:\s*[-\u2013]\s*(?P<last>{SECTION_ID}))?"
)
"""A section reference: §7, §1.9, or a range §1.6-1.7 / §1.6–1.7."""
OLD_FORM = re.compile(rf"{SECTION_SIGN}\s*\d+\s+(?:[A-G](?:[.\-\u2013]|\b)|check\b)")
"""The notes' old group-letter forms (\u00a77 E.16, \u00a77 G, \u00a77 check 15): use \u00a77.16."""
HEADING = re.compile(rf"^#{{2,4}}\s+(?P<id>{SECTION_ID})[.\s]", re.MULTILINE)
STALE_POINTER = re.compile(r"(?<![\w-])(?:notes/\w[\w-]*\.md|domain\.md)")
"""Research notes that live outside the repository."""

NAME = r"(?:(?:de|van|Van|der|von|den) )*[A-Z][\w'\u2019-]*"
CITATION = re.compile(
    rf"(?P<first>{NAME})(?:(?:, {NAME})*,? & {NAME}| et al\.)? \(?(?P<year>(?:19|20)\d\d)\b"
)
"""An author-year citation: Kerr 1975, Jordan & Graves 1995, Garnett, Mandelbaum & Reiman 2002,
Brown et al. 2005. It is keyed by (first author, year)."""


def _skipped(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_DIRS or name.endswith(".egg-info")


def repository_text_files() -> list[Path]:
    """The repository's text files, walked without entering skipped folders: the walk runs at
    collection in every test process, and `.venv` alone holds tens of thousands of files."""
    files = []
    for folder, dirs, names in ROOT.walk():
        dirs[:] = [d for d in dirs if not _skipped(d)]
        files += [folder / n for n in names if not _skipped(n) and Path(n).suffix in TEXT_SUFFIXES]
    return sorted(files)


def section_ids() -> set[str]:
    return {m["id"] for m in HEADING.finditer(NOTES.read_text(encoding="utf-8"))}


def _sort_key(section: str) -> tuple[int, ...]:
    return tuple(int(part) for part in section.split("."))


def unresolved_references(text: str, sections: set[str]) -> list[str]:
    """Every section reference in `text` that names no section of the notes (ranges: both ends)."""
    problems = []
    at = 0
    while (at := text.find(SECTION_SIGN, at)) >= 0:
        match = REFERENCE.match(text, at)
        excerpt = text[at : at + 16].split("\n")[0]
        at += 1
        if match is None:
            problems.append(f"{excerpt!r}: not a section number")
            continue
        first, last = match["first"], match["last"]
        if last is not None and "." not in last and "." in first:
            last = f"{first.split('.')[0]}.{last}"  # §1.6-7 means §1.6-1.7
        for end in (first, last):
            if end is not None and end not in sections:
                problems.append(f"{excerpt!r}: no section {end} in docs/domain-notes.md")
        if last is not None and last in sections and _sort_key(last) <= _sort_key(first):
            problems.append(f"{excerpt!r}: a range must run forwards")
    problems += [f"{m.group(0)!r}: old form" for m in OLD_FORM.finditer(text)]
    return problems


def citations(text: str) -> set[tuple[str, str]]:
    flowing = re.sub(r"\s+", " ", text)  # a citation may wrap across lines
    return {(m["first"], m["year"]) for m in CITATION.finditer(flowing)}


def reference_keys() -> set[tuple[str, str]]:
    keys = set()
    for line in REFERENCES.read_text(encoding="utf-8").splitlines():
        if line.startswith("- **"):
            keys |= citations(line.split("**")[1])
    return keys


# The checker itself -------------------------------------------------------------------------


def test_the_checker_resolves_and_rejects() -> None:
    sections = {"1", "1.6", "1.7", "7", "7.16"}
    good = "see \u00a71.6-1.7, \u00a77.16 and \u00a77; also \u00a71.6\u20131.7 and \u00a71.6-7"
    assert unresolved_references(good, sections) == []
    bad = "\u00a71.8, \u00a77 E.16, \u00a77 check 15, \u00a7x and \u00a71.7-1.6"
    problems = unresolved_references(bad, sections)
    assert len(problems) == 5, problems


def test_the_citation_pattern_keys_on_first_author_and_year() -> None:
    text = (
        "as Kerr 1975 and Garnett, Mandelbaum & Reiman 2002 showed; de Véricourt & Zhou 2005; "
        "Brown et al. 2005; Tekin, Hopp & Van Oyen 2009; KC & Terwiesch 2009"
    )
    assert citations(text) == {
        ("Kerr", "1975"),
        ("Garnett", "2002"),
        ("de Véricourt", "2005"),
        ("Brown", "2005"),
        ("Tekin", "2009"),
        ("KC", "2009"),
    }


# The repository -----------------------------------------------------------------------------


def test_the_notes_have_the_sections_the_repository_cites() -> None:
    sections = section_ids()
    # The numbering the code has cited since the beginning: §0-§7, the queueing results, the
    # satisfaction evidence, the twelve mechanisms and the 27 numeric checks.
    expected = {str(n) for n in range(8)}
    expected |= {f"1.{n}" for n in range(1, 10)}
    expected |= {f"3.{n}" for n in range(1, 8)}
    expected |= {f"5.{n}" for n in range(1, 13)}
    expected |= {f"7.{n}" for n in range(1, 28)}
    assert expected <= sections, sorted(expected - sections, key=_sort_key)


@pytest.mark.parametrize("path", repository_text_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_section_reference_resolves(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", errors="replace")  # fixtures may be binary
    problems = unresolved_references(text, section_ids())
    problems += [f"{m.group(0)!r}: outside the repository" for m in STALE_POINTER.finditer(text)]
    if SECTION_SIGN in text and path != NOTES and "domain-notes.md" not in text:
        problems.append("cites sections but never says they are in docs/domain-notes.md")
    assert not problems, f"{path.relative_to(ROOT)}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("name", ["domain-notes.md", "odd.md"])
def test_every_cited_source_has_a_full_reference(name: str) -> None:
    path = DOCS / name
    missing = citations(path.read_text(encoding="utf-8")) - reference_keys()
    assert not missing, f"docs/{name} cites sources missing from docs/references.md: " + ", ".join(
        f"{author} {year}" for author, year in sorted(missing)
    )


def test_references_carry_well_formed_dois() -> None:
    text = REFERENCES.read_text(encoding="utf-8")
    for doi in re.findall(r"https://doi\.org/(\S+)", text):
        assert re.fullmatch(r"10\.\d{4,9}/[^\s<>]+[^\s<>.,;]", doi), doi
