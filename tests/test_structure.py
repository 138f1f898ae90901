"""The package's shape: no import circle, short functions, xarray only at the edges, and no torch
until a fit needs it."""

import ast
import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).parents[1] / "xinr"
#: the modules that meet xarray: the accessor, the estimator's front, reading and labelling
EDGES = {
    "accessor", "cli", "comparison", "coords", "datasets", "estimator", "paperbench",
    "fill", "plot", "reconstruct", "sampling", "state", "updating",
}  # fmt: skip
MAX_LINES = 80  # of code, docstrings left out


def modules() -> dict[str, ast.Module]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = ast.parse(path.read_text())
    return out


def imported(name: str, tree: ast.Module) -> set[str]:
    """The package's modules that ``name`` imports, anywhere in it (lazily too)."""
    package = ["models"] if name.startswith("models") else []
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            target = ".".join([*base, node.module] if node.module else base)
            if node.module is None:  # from . import plan
                out |= {".".join([*base, a.name]) for a in node.names}
            elif target:
                out.add(target)
    return out


def test_no_import_circle():
    trees = modules()
    graph = {n: {m for m in imported(n, t) if m in trees and m != n} for n, t in trees.items()}
    graph.pop("", None)  # the package's __init__ imports its parts; none imports it back
    state: dict[str, int] = {}

    def visit(n, path):
        state[n] = 1
        for m in graph.get(n, ()):
            if state.get(m) == 1:
                pytest.fail(f"import circle: {' -> '.join([*path, m])}")
            if m not in state:
                visit(m, [*path, m])
        state[n] = 2

    for n in graph:
        if n not in state:
            visit(n, [n])


def test_no_function_is_long():
    long = []
    for name, tree in modules().items():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body
                if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                    body = body[1:]  # the docstring
                if body and body[-1].end_lineno - body[0].lineno + 1 > MAX_LINES:
                    long.append(f"{name}.{node.name}")
    assert not long


def test_xarray_only_at_the_edges():
    meets = set()
    for name, tree in modules().items():
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            if any(n.split(".")[0] == "xarray" for n in names):
                meets.add(name)
    assert meets <= EDGES, sorted(meets - EDGES)
    assert "fitted" not in meets and "plan" not in meets and "pipeline" not in meets


def test_import_xinr_does_not_import_torch():
    code = "import sys, xinr; xinr.INR(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
