"""The core stays readable: no function in consistency_dashboard/core is
longer than about 60 lines (Horizon's longest non-test function is 105, its
90th percentile 22).  Counted from the ``def`` (or its first decorator) to
the last line, docstring included."""

import ast
import pathlib

import consistency_dashboard.core as core

LIMIT = 60


def function_lengths(root):
    """``[(lines, "module.py:line name"), ...]`` for every function and
    method under ``root``."""
    found = []
    for path in sorted(pathlib.Path(root).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([node.lineno] +
                            [d.lineno for d in node.decorator_list])
                found.append((node.end_lineno - first + 1, "%s:%d %s" % (
                    path.name, node.lineno, node.name)))
    return found


def test_no_core_function_over_the_limit():
    lengths = function_lengths(core.__path__[0])
    assert len(lengths) > 100      # the scan saw the core
    too_long = sorted((n, where) for n, where in lengths if n > LIMIT)
    assert too_long == []


def test_the_scan_counts_a_long_function(tmp_path):
    body = "".join("    x = %d\n" % i for i in range(LIMIT))
    (tmp_path / "long.py").write_text(
        "@staticmethod\ndef long():\n" + body + "\n\nclass A:\n"
        "    def short(self):\n        return 1\n")
    assert sorted(function_lengths(tmp_path)) == [
        (2, "long.py:%d short" % (LIMIT + 6)), (LIMIT + 2, "long.py:2 long")]
