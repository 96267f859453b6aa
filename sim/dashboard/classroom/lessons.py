"""Lessons for the classroom: scenario files whose opening comment block is the lesson.

The lessons under ``scenarios/lessons/`` open with ``# Lesson N: title`` and name their files
(``# Pair: a.toml / b.toml``, ``# Trio: ...``, ``# Single file: ...``). The classroom shows a
pair side by side, fed the same customers, so every difference on screen comes from the one
lever the files differ in (a trio shows its first two). A single file with a reorganisation
(``[[events]]``) is shown without it on the left and with it on the right.

Any other scenario file there is a lesson of its own, shown twice: on the left organised in
functional departments, on the right in cross-functional teams (or in the file's own structure,
when that is not functional: a matrix lesson shows functional against matrix).

The comment block that opens the file is the lesson's explanation; its paragraph starting
"What to watch for:" (or "What to look at:", "Watch for:") is shown on its own, prominently.
The default lesson is the two presets, ``functional.toml`` and ``cross-functional.toml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sim.dashboard.scenario_files import KIND_LABELS, scenarios_dir
from sim.scenario import Scenario, ScenarioError, load_scenario

DEFAULT = "default"
"""Key of the built-in lesson: the functional and cross-functional presets."""

_HEADER = re.compile(r"^#\s*Lesson\s+(\d+)\s*:\s*(.+?)\s*$")
_FILES = re.compile(r"^#\s*(Pair|Trio|Single file)\s*:\s*(.+)$", re.I)
_LABEL = re.compile(r"^[A-Z][\w' -]{0,40}:\s")
"""A line opening with a short label ("This structure: ...") starts a paragraph of its own."""
_WATCH = re.compile(
    r"^(what to (watch|look) (for|at)|watch for|look for|what to notice)\s*:\s*", re.I
)


@dataclass(frozen=True)
class LessonInfo:
    """What the lesson picker lists: cheap to read (no scenario validation)."""

    key: str
    title: str
    paths: tuple[Path, ...]
    """The lesson's files, left side first; empty for the built-in presets lesson."""

    @property
    def path(self) -> Path | None:
        return self.paths[0] if self.paths else None


@dataclass(frozen=True)
class Lesson:
    key: str
    title: str
    explanation: str
    """The opening comment block, paragraphs separated by blank lines."""
    watch_for: str
    left: Scenario
    right: Scenario


def comment_block(text: str) -> list[str]:
    """The paragraphs of the comment block that opens a TOML file (wrapped lines joined)."""
    paragraphs: list[list[str]] = [[]]
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("#"):
            if stripped or any(paragraphs):
                break
            continue
        body = stripped.lstrip("#").strip()
        if body and _LABEL.match(body) and paragraphs[-1]:
            paragraphs.append([body])
        elif body:
            paragraphs[-1].append(body)
        elif paragraphs[-1]:
            paragraphs.append([])
    return [" ".join(p) for p in paragraphs if p]


def split_watch_for(paragraphs: list[str]) -> tuple[list[str], str]:
    """Separate the "What to watch for:" paragraph from the rest of the explanation."""
    rest, watch = [], []
    for paragraph in paragraphs:
        match = _WATCH.match(paragraph)
        if match:
            watch.append(paragraph[match.end() :])
        else:
            rest.append(paragraph)
    return rest, " ".join(watch)


def _title(path: Path, paragraphs: list[str]) -> str:
    if paragraphs:
        first = re.split(r"(?<=[.!?])\s", paragraphs[0], maxsplit=1)[0]
        return first.rstrip(".")
    return path.stem.replace("-", " ").replace("_", " ").capitalize()


def _numbered(text: str) -> tuple[int, str, list[str]] | None:
    """``(N, title, files)`` of a file that opens with ``# Lesson N: title``."""
    lines = text.splitlines()
    header = _HEADER.match(lines[0]) if lines else None
    if header is None:
        return None
    files: list[str] = []
    for line in lines[1:4]:
        found = _FILES.match(line)
        if found:
            files = re.findall(r"[\w.-]+\.toml", found.group(2))
            break
    return int(header.group(1)), f"Lesson {header.group(1)}: {header.group(2)}", files


def list_lessons(directory: Path | None = None) -> list[LessonInfo]:
    """The built-in lesson, the numbered lessons (their files grouped), then any other file."""
    directory = directory or scenarios_dir() / "lessons"
    lessons = [LessonInfo(DEFAULT, "Silos or teams? The two presets", ())]
    numbered: dict[int, LessonInfo] = {}
    if directory.is_dir():
        for path in sorted(directory.glob("*.toml")):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
            lesson = _numbered(text)
            if lesson is not None:
                number, title, files = lesson
                named = [directory / f for f in files if (directory / f).is_file()]
                if number not in numbered:
                    numbered[number] = LessonInfo(f"lesson-{number}", title, tuple(named or [path]))
                continue
            title = _title(path, comment_block(text))
            if any(info.title == title for info in lessons):  # the picker shows titles
                title = f"{title} ({path.name})"
            lessons.append(LessonInfo(path.stem, title, (path,)))
    return lessons[:1] + [numbered[n] for n in sorted(numbered)] + lessons[1:]


def _sides(scenario: Scenario) -> tuple[Scenario, Scenario]:
    kind = scenario.structure.kind
    left = (
        scenario
        if kind == "functional"
        else scenario.with_overrides(**{"structure.kind": "functional"})
    )
    right = (
        scenario
        if kind != "functional"
        else scenario.with_overrides(**{"structure.kind": "cross_functional"})
    )
    return left, right


def load_lesson(info: LessonInfo) -> Lesson:
    """Read and validate a lesson. Raises `ScenarioError` (one line per problem)."""
    if not info.paths:
        return _presets(info)
    scenarios = [load_scenario(path) for path in info.paths[:2]]
    if len(scenarios) == 2:
        left, right = scenarios
    elif scenarios[0].events:
        right = scenarios[0]
        left = right.model_copy(update={"events": [], "name": "Without the reorganisation"})
    else:
        try:
            left, right = _sides(scenarios[0])
        except ScenarioError as exc:
            raise ScenarioError([f"{info.path}: {p}" for p in exc.problems]) from None
    rest, watch = split_watch_for(comment_block(info.paths[0].read_text(encoding="utf-8")))
    return Lesson(info.key, info.title, "\n\n".join(rest), watch, left, right)


PRESETS_WATCH = (
    "The same 40 people and the same customers on both sides. On the left, departments pass "
    "every multi-skill request on: purple arcs, a handoffs-per-request line well above zero, "
    "customers waiting for each transfer. On the right, teams keep their requests: almost no "
    "handoffs, but each skill is split four ways, so a team's only specialist becomes a queue "
    "of its own. Raise the load or the handoff delay, and see which side suffers first."
)
"""What to watch for in the default lesson (the presets' own notes are written for analysts)."""


def _presets(info: LessonInfo) -> Lesson:
    """The default lesson: the presets' "The organisation" and "This structure" paragraphs."""
    folder = scenarios_dir()
    paths = (folder / "functional.toml", folder / "cross-functional.toml")
    left, right = (load_scenario(p) for p in paths)
    explanation: list[str] = []
    for side, path, scenario, other in (
        ("Left", paths[0], left, right),
        ("Right", paths[1], right, left),
    ):
        rest, _ = split_watch_for(comment_block(path.read_text(encoding="utf-8")))
        shared = [p for p in rest if p.startswith("The organisation:")]
        if shared and not explanation:
            explanation.append(shared[0])
        label = side_label(scenario, other).lower()
        explanation += [
            f"{side}, {label}: " + _LABEL.sub("", p)
            for p in rest
            if p.startswith("This structure:")
        ]
    return Lesson(info.key, info.title, "\n\n".join(explanation), PRESETS_WATCH, left, right)


def side_label(scenario: Scenario, other: Scenario) -> str:
    """A short name for one side: its structure, or its scenario name if both share one."""
    if scenario.structure.kind != other.structure.kind:
        return KIND_LABELS[scenario.structure.kind]
    name = re.sub(r"^Lesson \d+:\s*", "", scenario.name)
    return name[:1].upper() + name[1:]
