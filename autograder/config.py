"""Load and validate ``grading.yml``: points, tolerances, limits and visibility per question.

The file has one schema (pydantic models with ``extra="forbid"``), so a typo is an error that
names the file and the dotted key path instead of a silently ignored setting::

    grading.yml: questions.foundations.deriv.pointz: unknown key
    grading.yml: questions.foundations.deriv.points: must be greater than 0

A question's unset ``rtol``, ``atol``, ``timeout`` and ``visibility`` are taken from
``defaults``; `GradingConfig.questions` holds the resolved values.
"""
from __future__ import annotations

import keyword
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

#: The repository's own grading.yml, used when `load_config` is given no path.
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "grading.yml"

Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]


class ConfigError(ValueError):
    """grading.yml cannot be used; the message names the file and the key."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Defaults(_Model):
    """Values a question takes when it does not set them itself."""

    #: Relative tolerance, as in numpy.testing.assert_allclose: |got - expected| <= atol + rtol*|expected|.
    rtol: float = Field(default=1e-6, ge=0)
    #: Absolute tolerance.
    atol: float = Field(default=1e-9, ge=0)
    #: Wall-clock seconds for one call into the student's code.
    timeout: float = Field(default=10, gt=0)
    #: Gradescope visibility of the question's results.
    visibility: Visibility = "visible"


class Limits(_Model):
    """Resource limits of the student's process (see grading.yml for what each means)."""

    submission_timeout: float = Field(default=120, gt=0)
    memory_mb: int = Field(default=1024, gt=0)
    cpu_seconds: int = Field(default=60, gt=0)
    processes: int = Field(default=32, gt=0)
    file_size_mb: int = Field(default=16, gt=0)
    open_files: int = Field(default=64, gt=0)
    scratch_mb: int = Field(default=32, gt=0)
    output_kb: int = Field(default=64, gt=0)


class NotebookSettings(_Model):
    """How a submitted notebook becomes modules (see `autograder.intake.notebook`)."""

    #: ``definitions``: keep imports, definitions and constant assignments, skip every other
    #: top-level statement (training runs, plots, downloads) and list what was skipped;
    #: ``execute``: before grading, the worker runs every code cell of the notebook in order, each
    #: under ``cell_timeout`` with matplotlib's non-GUI backend; a failing cell is reported in the
    #: feedback (cell and line) and the next one runs.
    mode: Literal["definitions", "execute"] = "definitions"
    #: Seconds one cell may run in ``execute`` mode.
    cell_timeout: float = Field(default=2, gt=0)
    #: Seconds all of a notebook's cells together may run in ``execute`` mode (later cells are not
    #: run). Every question's worker runs the cells again, and this time is added to the question's
    #: ``timeout`` for it (it also counts against ``submission_timeout``).
    total_timeout: float = Field(default=6, gt=0)


class QuestionSpec(_Model):
    """One question as written in the file: only ``points`` is required."""

    points: float = Field(gt=0)
    rtol: float | None = Field(default=None, ge=0)
    atol: float | None = Field(default=None, ge=0)
    timeout: float | None = Field(default=None, gt=0)
    visibility: Visibility | None = None
    requires: list[str] = Field(default_factory=list)
    #: A short human title shown next to the question id in reports (optional).
    title: str = ""


class QuestionConfig(_Model):
    """One question after resolution against `Defaults`: every value is set."""

    points: float = Field(gt=0)
    rtol: float = Field(ge=0)
    atol: float = Field(ge=0)
    timeout: float = Field(gt=0)
    visibility: Visibility
    #: ``"<module>.<function>"`` names whose reference versions are used while grading this question.
    requires: tuple[str, ...] = ()
    title: str = ""


class LatePolicy(_Model):
    """``late:`` in grading.yml: when the assignment is due and what lateness costs (see policy.py).

    Times without an offset are read in `timezone` (an IANA name, e.g. ``America/Los_Angeles``).
    Lateness is real elapsed time past the due date (a daylight-saving change counts as it happened);
    within `grace_minutes` a submission is on time. A started day (or hour) costs `penalty_per_day`
    (or `penalty_per_hour`) percent of the raw score; the first `late_day_budget` days cost nothing;
    past `max_late_days` the score is 0.
    """

    due: datetime | str
    timezone: str = "UTC"
    grace_minutes: float = Field(default=0, ge=0)
    penalty_per_day: float = Field(default=0, ge=0, le=100)
    penalty_per_hour: float = Field(default=0, ge=0, le=100)
    late_day_budget: int = Field(default=0, ge=0)
    max_late_days: float | None = Field(default=None, ge=0)
    #: Student id -> their own due date (same format as `due`).
    extensions: dict[str, datetime | str] = Field(default_factory=dict)

    @field_validator("extensions", mode="before")
    @classmethod
    def _ids_as_text(cls, value: Any) -> Any:
        """Canvas ids are numbers: ``1002: 2026-11-22T17:00`` in YAML gives an int key."""
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value


class _FileConfig(_Model):
    """The file as written (questions not yet resolved)."""

    assignment: str = Field(min_length=1)
    modules: list[str] = Field(min_length=1)
    defaults: Defaults = Field(default_factory=Defaults)
    limits: Limits = Field(default_factory=Limits)
    notebook: NotebookSettings = Field(default_factory=NotebookSettings)
    callables: list[str] = Field(default_factory=list)
    questions: dict[str, QuestionSpec] = Field(min_length=1)
    late: LatePolicy | None = None


def _is_identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def _check_dotted(name: str, modules: list[str], key: str, what: str) -> None:
    module, dot, function = name.partition(".")
    if not dot or not _is_identifier(module) or not _is_identifier(function):
        raise ValueError(f"{key}: {what} {name!r} must look like <module>.<function>")
    if module not in modules:
        raise ValueError(f"{key}: {what} {name!r} names module {module!r}, which is not in modules {modules}")


class GradingConfig(_Model):
    """The validated contents of grading.yml."""

    assignment: str = Field(min_length=1)
    modules: list[str] = Field(min_length=1)
    defaults: Defaults = Field(default_factory=Defaults)
    limits: Limits = Field(default_factory=Limits)
    #: How submitted notebooks are read.
    notebook: NotebookSettings = Field(default_factory=NotebookSettings)
    #: ``"<module>.<function>"`` reference functions the hidden suites may pass to student code
    #: by name (``deriv("square", 2.0)``): the worker receives their reference source and resolves
    #: a string argument equal to a function name to that function. The one place they are declared.
    callables: tuple[str, ...] = ()
    #: Question id (``"<module>.<function>"``) -> resolved settings, in file order.
    questions: dict[str, QuestionConfig] = Field(min_length=1)
    #: The late policy, or None when grading.yml has no ``late:`` (no penalty).
    late: LatePolicy | None = None

    @model_validator(mode="after")
    def _check_names(self) -> GradingConfig:
        for i, module in enumerate(self.modules):
            if not _is_identifier(module):
                raise ValueError(f"modules[{i}]: {module!r} is not a valid Python module name")
        if len(set(self.modules)) != len(self.modules):
            raise ValueError(f"modules: a module is listed twice: {self.modules}")
        for qid, question in self.questions.items():
            _check_dotted(qid, self.modules, f"questions.{qid}", "question id")
            for i, required in enumerate(question.requires):
                _check_dotted(required, self.modules, f"questions.{qid}.requires[{i}]", "entry")
                if required == qid:
                    raise ValueError(f"questions.{qid}.requires[{i}]: a question cannot require itself")
        for i, name in enumerate(self.callables):
            _check_dotted(name, self.modules, f"callables[{i}]", "entry")
        names = [c.split(".", 1)[1] for c in self.callables]
        if len(set(names)) != len(names):
            raise ValueError(f"callables: two entries have the same function name: {list(self.callables)}")
        return self

    @property
    def callable_names(self) -> dict[str, str]:
        """``{function name: "<module>.<function>"}`` of the callables passed by name."""
        return {c.split(".", 1)[1]: c for c in self.callables}

    def question(self, qid: str) -> QuestionConfig:
        """The settings of question `qid`; KeyError naming the known ids if there is none."""
        try:
            return self.questions[qid]
        except KeyError:
            raise KeyError(f"unknown question {qid!r}; grading.yml has {list(self.questions)}") from None

    @property
    def total_points(self) -> float:
        """Points possible over all questions."""
        return round(sum(q.points for q in self.questions.values()), 6)


# --- loading ----------------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate mapping keys (PyYAML keeps the last one silently)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _describe(error: dict[str, Any]) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind == "greater_than":
        return f"must be greater than {ctx['gt']:g} (got {error['input']!r})"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']:g} (got {error['input']!r})"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']} (got {error['input']!r})"
    if kind in {"float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"}:
        what = "a whole number" if kind.startswith("int") else "a number"
        return f"must be {what} (got {error['input']!r})"
    if kind in {"too_short"} and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    message = error["msg"]
    return message[:1].lower() + message[1:] + f" (got {error['input']!r})"


def _config_error(source: str, exc: ValidationError) -> ConfigError:
    lines = []
    for error in exc.errors():
        key = _key_path(error["loc"])
        text = _describe(error)
        lines.append(f"{source}: {key}: {text}" if key else f"{source}: {text}")
    return ConfigError("\n".join(lines))


def _resolve(spec: _FileConfig) -> dict[str, Any]:
    d = spec.defaults
    questions = {
        qid: {
            "points": q.points,
            "rtol": d.rtol if q.rtol is None else q.rtol,
            "atol": d.atol if q.atol is None else q.atol,
            "timeout": d.timeout if q.timeout is None else q.timeout,
            "visibility": d.visibility if q.visibility is None else q.visibility,
            "requires": tuple(q.requires),
            "title": q.title,
        }
        for qid, q in spec.questions.items()
    }
    return {
        "assignment": spec.assignment,
        "modules": spec.modules,
        "defaults": spec.defaults,
        "limits": spec.limits,
        "notebook": spec.notebook,
        "callables": tuple(spec.callables),
        "questions": questions,
        "late": spec.late,
    }


def load_config(path: Path | None = None) -> GradingConfig:
    """Read, validate and resolve grading.yml (the repository's own when `path` is None).

    Raises:
        ConfigError: the file is missing, not YAML, or breaks the schema; the message names the
            file and the dotted key path of every problem found.
    """
    path = DEFAULT_PATH if path is None else Path(path)
    source = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{source}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot be read: {exc}") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "syntax error"
        raise ConfigError(f"{source}:{where}: not valid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: must be a mapping of keys (assignment, modules, questions, ...)")
    try:
        spec = _FileConfig.model_validate(data)
        return GradingConfig.model_validate(_resolve(spec))
    except ValidationError as exc:
        raise _config_error(source, exc) from None
