"""autograder/intake/notebook.py: a notebook becomes modules without running it (definitions mode)."""
from __future__ import annotations

import json

import nbformat
from nbformat import v4

from autograder.intake.notebook import read_notebook

MODULES = ("foundations", "linear_regression", "neural_network")
KNOWN = {"foundations": {"deriv", "square"}, "linear_regression": {"forward", "train"},
         "neural_network": {"forward", "train"}}


def nb(*sources: str, **metadata) -> bytes:
    cells = [v4.new_code_cell(s) for s in sources]
    return nbformat.writes(v4.new_notebook(cells=cells, metadata=metadata)).encode()


def module(built, name: str) -> str:
    return built.modules[name][0].decode()


def imported(built, name: str, folder) -> dict:
    """Import the rebuilt module from a file, as the worker does; its namespace."""
    import importlib.util

    path = folder / f"{name}.py"
    path.write_bytes(built.modules[name][0])
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return vars(mod)


def test_training_runs_plots_and_downloads_are_skipped_and_listed(tmp_path):
    built = read_notebook(nb(
        "%%module linear_regression\nimport numpy as np\nimport urllib.request\nRATE = 0.001\nSIZES = (1, 2)\n",
        "%%module linear_regression\ndef train(X):\n    return X * RATE\n",
        "%%module linear_regression\nurllib.request.urlretrieve('https://example.org/data.csv', 'd.csv')\n"
        "losses = train(np.ones(3))\nfor i in range(10**9):\n    pass\nimport matplotlib.pyplot as plt\nplt.plot(losses)\n",
    ), "ana.ipynb", MODULES, KNOWN)
    source = module(built, "linear_regression")
    namespace = imported(built, "linear_regression", tmp_path)  # nothing runs but definitions
    assert namespace["train"](2.0) == 0.002 and namespace["SIZES"] == (1, 2)
    assert "urlretrieve" not in source and "range(10**9)" not in source and "plt.plot" not in source
    skipped = next(n for n in built.notes if "skipped" in n)
    assert skipped == ("linear_regression.py (from ana.ipynb): the grader keeps imports, functions, classes and "
                       "constants, and skipped 4 other top-level statement(s): cell 3, line 2: "
                       "urllib.request.urlretrieve('https://example.org/data.csv', '; cell 3, line 3: "
                       "losses = train(np.ones(3)); cell 3, line 4: for i in range(10**9):; cell 3, line 7: "
                       "plt.plot(losses)")


def test_an_error_names_the_cell_and_its_line(tmp_path):
    import traceback

    built = read_notebook(nb("%%module foundations\nimport numpy as np\n\n\ndef deriv(f, x):\n    return 1 / 0\n"),
                          "ana.ipynb", MODULES, KNOWN)
    namespace = imported(built, "foundations", tmp_path)
    try:
        namespace["deriv"](None, 0)
    except ZeroDivisionError as error:
        frame = traceback.extract_tb(error.__traceback__)[-1]
    assert (frame.filename, frame.lineno) == (str(tmp_path / "cell 1 of ana.ipynb"), 6)  # as Jupyter numbers it
    assert ("foundations.py was built from the code cells of ana.ipynb (cells 1; an error names its cell "
            "and line)") in built.notes


def test_a_function_that_needs_a_skipped_global_gets_a_note():
    built = read_notebook(nb("%%module linear_regression\nimport numpy as np\nX_big = np.random.rand(5, 2)\n"
                             "def train(X):\n    return X_big.sum()\n"), "ana.ipynb", MODULES, KNOWN)
    assert ("linear_regression.py (from ana.ipynb): train uses X_big (cell 1), set only by a statement the grader "
            "skips; pass it in as an argument or make it a constant") in built.notes


def test_the_last_definition_wins_and_the_feedback_says_so(tmp_path):
    built = read_notebook(nb("%%module foundations\ndef deriv(f, x):\n    return 1\n",
                             "def deriv(f, x):\n    return 2\n"), "ana.ipynb", MODULES, KNOWN)
    namespace = imported(built, "foundations", tmp_path)
    assert namespace["deriv"](None, 0) == 2
    assert ("foundations.py (from ana.ipynb): deriv is defined in cells 1, 2; the last one (cell 2) is graded, "
            "as when the notebook runs top to bottom") in built.notes


def test_an_untagged_experiment_never_joins_the_cell_above():
    """The issue's case: `import matplotlib` in a stray cell below foundations' cells."""
    built = read_notebook(nb("# module: foundations\ndef deriv(f, x):\n    return 1\n",
                             "import matplotlib\nmatplotlib.use('Agg')\nprint(deriv(None, 1))\n"),
                          "ana.ipynb", MODULES, KNOWN)
    assert "matplotlib" not in module(built, "foundations")
    assert ("ana.ipynb: cell 2 has no module line and defines nothing a module has: it was left out "
            "(if it belongs to one, start it with `%%module NAME`, NAME one of foundations, linear_regression, "
            "neural_network)") in built.notes


def test_skip_marks_and_magics(tmp_path):
    cells = [v4.new_code_cell("from check import check\ncheck('foundations.deriv')", metadata={"autograder": {"skip": True}}),
             v4.new_code_cell("# autograder: skip\nraise SystemExit"),
             v4.new_code_cell("%%module foundations\n%load_ext autoreload\ndef deriv(f, x):\n    %time y = 1\n    return 3\n"),
             v4.new_code_cell("%%time\nSTEP = 0.5\n", metadata={"autograder": {"module": "foundations"}})]
    built = read_notebook(nbformat.writes(v4.new_notebook(cells=cells)).encode(), "ana.ipynb", MODULES, KNOWN)
    namespace = imported(built, "foundations", tmp_path)
    assert namespace["deriv"](None, 0) == 3 and namespace["STEP"] == 0.5
    assert "check(" not in module(built, "foundations") and "SystemExit" not in module(built, "foundations")
    assert any("cell 3, line 2: %load_ext autoreload" in n for n in built.notes)


def test_bad_notebooks_get_clear_notes():
    assert read_notebook(b"", "a.ipynb", MODULES).notes == [
        "a.ipynb is empty: save the notebook in Jupyter and submit it again"]
    assert read_notebook(b'{"cells": [', "b.ipynb", MODULES).notes[0].startswith(
        "b.ipynb is not a notebook: it is not valid JSON (line 1, column 12: ")
    assert read_notebook(json.dumps({"nbformat": 4, "cells": []}).encode(), "c.ipynb", MODULES).notes == [
        "c.ipynb: no code cell belongs to a module, so nothing in it was graded. Start each module's cells "
        "with a line such as `%%module foundations`"]
    old = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "code", "input": "# module: foundations\nSTEP = 1\n", "outputs": [], "language": "python",
         "metadata": {}}], "metadata": {}}]}
    built = read_notebook(json.dumps(old).encode(), "d.ipynb", MODULES)
    assert built.notes[0] == ("d.ipynb is in the old notebook format 3; it was converted to format 4 to be read "
                              "(saving it in a current Jupyter avoids this)")
    assert "STEP = 1" in module(built, "foundations")
    big = v4.new_code_cell("# module: foundations\nSTEP = 1\n",
                           outputs=[v4.new_output("stream", name="stdout", text="x" * (6 << 20))])
    built = read_notebook(nbformat.writes(v4.new_notebook(cells=[big])).encode(), "e.ipynb", MODULES)
    assert built.notes[0].startswith("e.ipynb: its saved outputs take 6.0 MiB; the grader ignores them")
    assert "foundations" in built.modules


def test_execute_mode_runs_every_cell_under_a_limit_and_goes_on(tmp_path):
    """Every code cell of the notebook runs at import, in order, each module's in its own namespace:
    a cell that loops or raises is reported by cell and line and the next one runs."""
    import subprocess
    import sys

    built = read_notebook(nb("%%module foundations\nimport numpy as np\ndef deriv(f, x):\n    return 2 * x\n",
                             "%matplotlib inline\nimport os\nPLOTS = os.environ['MPLBACKEND']\n",
                             "%%module linear_regression\nfrom foundations import deriv\n"
                             "def train(X):\n    return deriv(None, X) * SCALE\n",
                             "%%module linear_regression\nSCALE = float(sum([1, 2]))\n",
                             "%%module linear_regression\nx = 0\nwhile True: x += 1\n",
                             "%%module neural_network\n\nraise ValueError('bad\\ncell')\n",  # one line in the report
                             "%%module linear_regression\nimport os\n"
                             "BACKEND = ('PLOTS' in globals() and PLOTS or 'apart') + ' ' + os.environ['MPLBACKEND']\n"),
                          "ana.ipynb", MODULES, KNOWN, mode="execute", cell_timeout=1.0)
    assert set(built.modules) == set(MODULES)
    for name in MODULES:
        (tmp_path / f"{name}.py").write_bytes(built.modules[name][0])
    result = subprocess.run([sys.executable, "-c", "import sys, numpy  # loaded already in the worker\n"
                             "import linear_regression as m, foundations as f\n"
                             "print(m.train(2), m.BACKEND, m.deriv is sys.modules['foundations'].deriv)"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "[notebook] cell 5 of ana.ipynb, line 3: stopped after 1 s (the grader runs a cell for at most 1 s); "
        "the cells below still ran",
        "[notebook] cell 6 of ana.ipynb, line 3: ValueError: bad cell; the cells below still ran",
        "12.0 apart Agg True"]
    assert ("ana.ipynb: cell 2 has no module line, so it runs in the notebook's own namespace (execute mode); "
            "what it defines is not graded") in built.notes
    assert ("linear_regression.py was built from ana.ipynb in execute mode: every code cell runs in order "
            "before grading (each for at most 1 s, all for at most 6 s); the cells of linear_regression are "
            "3, 4, 5, 7"
            ) in built.notes


def test_execute_mode_stops_running_cells_after_the_total_limit(tmp_path):
    import subprocess
    import sys

    built = read_notebook(nb("%%module foundations\nimport time\ntime.sleep(5)\n",
                             "%%module foundations\ntime.sleep(5)\n",
                             "%%module foundations\ndef deriv(f, x):\n    return 1\n"),
                          "ana.ipynb", MODULES, KNOWN, mode="execute", cell_timeout=0.5, total_timeout=0.8)
    (tmp_path / "foundations.py").write_bytes(built.modules["foundations"][0])
    result = subprocess.run([sys.executable, "-c", "import foundations as f; print(hasattr(f, 'deriv'))"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=30)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("[notebook] cell 1 of ana.ipynb, line 3: stopped after 0.5 s")
    assert lines[1].startswith("[notebook] cell 2 of ana.ipynb, line 2: stopped after 0.")  # what was left
    assert lines[2:] == ["[notebook] cell 3 of ana.ipynb was not run: the notebook's cells used up their 0.8 s",
                         "False"]


def test_cell_reports_become_notes_once_each():
    from autograder.intake.notebook import cell_reports

    output = "[notebook] cell 2 of a.ipynb, line 1: ValueError: x\nhello\n[notebook] cell 2 of a.ipynb, line 1: ValueError: x\n"
    assert cell_reports(output) == ("hello\n", ("cell 2 of a.ipynb, line 1: ValueError: x",))


def test_graded_in_the_sandbox_an_error_points_at_the_cell(tmp_path):
    """Through the whole grader: a runtime error in a notebook's function names the cell and its
    line; the training call and the download in the same cells never run (the run stays short)."""
    import time

    from autograder.grade import grade

    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "zoe.ipynb").write_bytes(nb(
        "%%module foundations\nimport numpy as np\nimport urllib.request\n",
        "%%module foundations\ndef square(x):\n    return x ** 2\n\n\ndef deriv(func, input_, diff=0.001):\n"
        "    return undefined_name\n",
        "%%module foundations\nurllib.request.urlretrieve('https://example.org/big.bin', 'big.bin')\n"
        "while True:\n    deriv(square, 1.0)\n"))
    started = time.monotonic()
    summary = grade([folder / "zoe.ipynb"], tmp_path / "out", jobs=1, progress=False)
    assert time.monotonic() - started < 60
    assert summary.results[0].status.value == "graded"
    feedback = (tmp_path / "out" / "zoe" / "feedback.md").read_text(encoding="utf-8")
    assert "cell 2 of zoe.ipynb, line 7, in deriv" in feedback  # line 1 is the %%module line
    assert "NameError" in feedback


def test_execute_mode_through_the_sandbox(tmp_path):
    """grading.yml notebook.mode: execute: the cells run in the worker, a cell that never ends is
    stopped after cell_timeout and reported, the global a later cell sets is there, grading goes on."""
    from autograder.config import load_config
    from autograder.grade import grade

    base = load_config()
    config = base.model_copy(update={"notebook": base.notebook.model_copy(update={"mode": "execute",
                                                                                  "cell_timeout": 1.0})})
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "zoe.ipynb").write_bytes(nb(
        "%%module foundations\ndef deriv(func, input_, diff=None):\n    step = STEP if diff is None else diff\n"
        "    return (func(input_ + step) - func(input_ - step)) / (2 * step)\n",
        "%%module foundations\nimport time\nwhile True: pass\n",
        "%%module foundations\nSTEP = sum([0.0005, 0.0005])  # a call: only execute mode runs it\n"))
    summary = grade([folder / "zoe.ipynb"], tmp_path / "out", jobs=1, progress=False, config=config)
    row = summary.results[0]
    assert row.status.value == "graded"
    feedback = (tmp_path / "out" / "zoe" / "feedback.md").read_text(encoding="utf-8")
    assert "`foundations.deriv`: 2 / 2 points" in feedback
    assert ("cell 2 of zoe.ipynb, line 3: stopped after 1 s (the grader runs a cell for at most 1 s); the cells "
            "below still ran") in feedback
    assert feedback.count("cell 2 of zoe.ipynb, line 3: stopped") == 1  # once, not once a question
    assert "[notebook]" not in feedback


def test_more_bad_notebooks_get_clear_notes(monkeypatch):
    import sys

    assert read_notebook("{é".encode("latin-1"), "f.ipynb", MODULES).notes == [
        "f.ipynb is not UTF-8 text, so it could not be read as a notebook"]
    assert read_notebook(b'["a", "list"]', "g.ipynb", MODULES).notes == [
        "g.ipynb is not a Jupyter notebook (no list of cells): nothing in it was graded"]
    old = {"nbformat": 2, "worksheets": [], "metadata": {}}
    monkeypatch.setitem(sys.modules, "nbformat", None)  # as in check.py, with numpy and pytest alone
    assert read_notebook(json.dumps(old).encode(), "h.ipynb", MODULES).notes == [
        "h.ipynb is in the old notebook format 2: open and save it in a current Jupyter, then check it again"]


def test_the_last_definition_wins_in_execute_mode_too(tmp_path):
    import subprocess
    import sys

    built = read_notebook(nb("%%module foundations\ndef deriv(f, x):\n    return 1\n",
                             "def deriv(f, x):\n    return 2\n"), "ana.ipynb", MODULES, KNOWN, mode="execute")
    (tmp_path / "foundations.py").write_bytes(built.modules["foundations"][0])
    result = subprocess.run([sys.executable, "-c", "import foundations as f; print(f.deriv(None, 0))"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert result.stdout == "2\n", result.stderr
    assert ("ana.ipynb: cell 2 has no module line; it defines deriv, so it was graded as part of foundations.py"
            ) in built.notes
    assert ("foundations.py (from ana.ipynb): deriv is defined in cells 1, 2; the last one (cell 2) is graded, "
            "as when the notebook runs top to bottom") in built.notes



def test_old_mac_line_ends_neither_crash_the_grader_nor_run_a_skipped_statement(tmp_path):
    """Hostile: Python reads a lone carriage return as a line end and str.split("\\n") does not, so a
    cell written with "\\r" made the rebuild fail (IndexError in the grader) or kept a whole physical
    line, a training call after a "\\r" included, as if it were the definition's own line."""
    built = read_notebook(nb("%%module foundations\ndef deriv(f, x):\r    return 4\r\rimport os\r"),
                          "ana.ipynb", MODULES, KNOWN)
    assert imported(built, "foundations", tmp_path)["deriv"](None, 0) == 4
    built = read_notebook(nb("%%module foundations\nimport os\rRAN = os.getpid()\ndef deriv(f, x):\n    return 5\n"),
                          "bob.ipynb", MODULES, KNOWN)
    namespace = imported(built, "foundations", tmp_path)
    assert namespace["deriv"](None, 0) == 5 and "RAN" not in namespace
    assert any("cell 1, line 3: RAN = os.getpid()" in n for n in built.notes)


def test_many_magics_do_not_make_ipythons_transformer_run_for_hours(monkeypatch):
    """Hostile: IPython's transformer tokenizes a whole cell again for each magic it rewrites (up to
    500 a cell), so a notebook of cells full of `%ls` lines cost magics x size: 499 magics in a
    280 kB cell ran for more than 10 minutes of CPU in the grader's load step (no deadline there).
    What it tokenizes is now bounded by TRANSFORM_ALLOWANCE for the whole notebook (real tokenizer,
    counted; the rest of the magic lines are commented out, skipped like any other)."""
    import IPython.core.inputtransformer2 as it

    from autograder.intake import notebook

    tokenized = [0]
    real = it.make_tokens_by_line

    def counted(lines):
        tokenized[0] += sum(map(len, lines))
        return real(lines)

    monkeypatch.setattr(it, "make_tokens_by_line", counted)
    cell = "%%module foundations\n" + "".join(f"%ls {i}\n" for i in range(300)) + "STEP = 1\n" * 1000
    built = read_notebook(nb(*[cell] * 4, "%%module foundations\ndef deriv(f, x):\n    return 6\n"),
                          "ana.ipynb", MODULES, KNOWN)
    assert tokenized[0] <= 2 * notebook.TRANSFORM_ALLOWANCE
    assert "return 6" in module(built, "foundations") and "STEP = 1" in module(built, "foundations")
    assert "%ls" not in module(built, "foundations").replace("# %ls", "")


def test_an_integer_longer_than_pythons_limit_is_a_note_not_a_grader_error():
    """Hostile: json.loads raises a plain ValueError (not JSONDecodeError) for an integer of more
    than 4300 digits; it escaped read_notebook, failed the load step and gave a grader error."""
    data = b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {"n": ' + b"7" * 5000 + b'}, "cells": []}'
    built = read_notebook(data, "ana.ipynb", MODULES, KNOWN)
    assert not built.modules
    assert built.notes[0].startswith("ana.ipynb is not a notebook: Exceeds the limit (4300 digits)")


def test_a_carriage_return_in_the_file_name_does_not_break_the_execute_mode_module():
    """A notebook's file name (a zip member's, chosen by the student) goes into a comment of the
    execute-mode module; a "\\r" in it (a line end to Python) broke the comment, so the module did
    not compile and every question of it scored 0 (definitions mode already made it printable)."""
    data = nb("%%module foundations\ndef deriv(f, x):\n    return 7\n")
    for mode in ("definitions", "execute"):
        built = read_notebook(data, "ana\r  import os\r.ipynb", MODULES, KNOWN, mode=mode)
        compile(built.modules["foundations"][0], "foundations.py", "exec")
