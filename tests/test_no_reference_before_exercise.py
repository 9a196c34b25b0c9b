"""No credit for calling the reference: no bare name of it before the exercise.

For every student notebook and every exercise in it, the code cells *before*
the exercise's answer cell must not bind, as a bare name, course_lib's own
implementation of the piece the exercise asks for (``from course_lib.layers
import Sigmoid``, ``... import im2col_3x3 as im2col_reference``, ``Sigmoid =
layers.Sigmoid``): a student could answer by calling it. Used qualified inside
a demonstration cell (``layers.Sigmoid()``) it binds no bare name and is fine;
imported after the exercise, to compare with it or build on it, it is fine.

Which objects are "the reference of an exercise" is not typed here: it is what
the exercise's check refuses an answer for calling or subclassing
(``course_lib/checks``): the references of ``common.no_delegation`` on the
check, and the pieces that lessons 08, 09 and 10 pass to their own refusal
helpers. The bindings are found statically, with ``ast``, over the code cells
before the answer cell, so the notebooks are not run.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
import types
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import make_student  # noqa: E402
from student_run import check_cells  # noqa: E402

from course_lib import checks  # noqa: E402
from course_lib.checks.common import _resolve  # noqa: E402

STUDENT_NOTEBOOKS = sorted((REPO / "student").glob("[0-9][0-9]_*.ipynb"))


# --------------------------------------------------------------------------------------
# What each check refuses: derived from course_lib/checks
# --------------------------------------------------------------------------------------
def _innermost(check: object) -> types.FunctionType:
    while hasattr(check, "__wrapped__"):
        check = check.__wrapped__
    return check  # type: ignore[return-value]


def _bindable(owner: object, attr: str) -> object:
    """What a notebook would import to reach ``owner.attr``: the class itself for a method."""
    return owner if isinstance(owner, type) else getattr(owner, attr)


def refused_references(check: object) -> list[object]:
    """course_lib's objects that ``check`` refuses an answer for calling or subclassing.

    * ``common.no_delegation(*references)`` on the check (lessons 01-07):
      its ``__references__``;
    * lesson 08's ``_l08_call``: every piece of ``_L08_PIECES``;
    * lesson 09's ``_forbidden(owner, "attr", ...)``: ``owner.attr`` (the class
      for a method);
    * lesson 10's ``_refuse_delegation``: ``_REFERENCES`` and ``_REFERENCE_CLASSES``;
    * lesson 07's ``_refuse_reference``: every public function and class of
      ``course_lib.autograd``.
    """
    found: list[object] = []
    layer = check
    while layer is not None:
        found += [_resolve(r) for r in getattr(layer, "__references__", ())]
        layer = getattr(layer, "__wrapped__", None)
    function = _innermost(check)
    module = sys.modules[function.__module__]
    tree = ast.parse(inspect.getsource(function).lstrip())
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if node.func.id == "_l08_call":
            found += [_bindable(owner, attr) for owner, attr, _ in module._L08_PIECES]
        elif node.func.id == "_forbidden":
            owner = eval(compile(ast.Expression(node.args[0]), "<check>", "eval"),
                         _namespace(function, tree, module))
            found.append(_bindable(owner, ast.literal_eval(node.args[1])))
        elif node.func.id == "_refuse_delegation":
            found += [*module._REFERENCES.values(), *module._REFERENCE_CLASSES]
        elif node.func.id == "_refuse_reference":  # lesson 07: anything of course_lib.autograd
            from course_lib import autograd
            found += [value for name, value in vars(autograd).items() if not name.startswith("_")
                      and getattr(value, "__module__", None) == autograd.__name__]
    found = list({id(r): r for r in found}.values())
    own = OWN_PIECES.get(function.__name__)
    if own is not None:
        pieces = [_resolve(name) for name in own]
        assert all(any(p is r for r in found) for p in pieces), (
            f"OWN_PIECES[{function.__name__!r}] names a piece its check does not refuse")
        found = pieces
    return found


#: Lessons 08 and 10 refuse one lesson-wide list in every check (a call from any answer to
#: any of them fails); of that list, these are each exercise's own pieces, the ones that must
#: not be a bare name before its answer (the others are imported after their own exercise).
OWN_PIECES = {
    "check_conv_output_size": ["course_lib.layers.conv_output_size"],
    "check_zero_pad": ["course_lib.layers.pad_images"],
    "check_conv2d_forward": ["course_lib.naive.conv2d_forward_naive", "course_lib.layers.patches",
                             "course_lib.layers.Conv2d"],
    "check_conv2d_backward": ["course_lib.naive.conv2d_backward_naive",
                              "course_lib.layers.add_patches", "course_lib.layers.Conv2d"],
    "check_maxpool2d_forward": ["course_lib.naive.maxpool2d_forward_naive",
                                "course_lib.layers.MaxPool2d"],
    "check_attention": ["course_lib.layers.attention.scaled_dot_product_attention"],
    "check_causal_attention": ["course_lib.layers.attention.causal_mask",
                               "course_lib.layers.attention.scaled_dot_product_attention"],
    "check_attention_backward": ["course_lib.layers.attention.attention_backward"],
    "check_layer_norm_backward": ["course_lib.layers.attention.layer_norm_backward",
                                  "course_lib.layers.attention.LayerNorm"],
    "check_heads": ["course_lib.layers.attention.split_heads",
                    "course_lib.layers.attention.merge_heads"],
    "check_self_attention_layer": ["course_lib.layers.attention.MultiHeadSelfAttention",
                                   "course_lib.layers.attention.TransformerBlock"],
}


def _namespace(function: types.FunctionType, tree: ast.AST, module: types.ModuleType) -> dict:
    """The module's names plus those the check imports in its own body (lesson 09 does)."""
    namespace = dict(vars(module))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            exec(compile(ast.Module([node], []), "<check>", "exec"), namespace)
    return namespace


def test_the_references_are_found_for_the_checks_that_refuse_delegation():
    """The derivation above sees each mechanism (it would silently find nothing otherwise)."""
    from course_lib import layers, losses, naive, optim
    from course_lib.layers import attention

    assert set(map(id, refused_references(checks.check_sigmoid))) == {id(layers.Sigmoid)}
    assert id(naive.conv3x3_backward_naive) in map(id, refused_references(
        checks.check_conv3x3_backward_loops))
    assert id(losses.SoftmaxCrossEntropyLoss) in map(id, refused_references(
        checks.check_softmax_cross_entropy))
    assert id(layers.Conv2d) in map(id, refused_references(checks.check_conv2d_backward))
    assert id(optim.clip_grad_norm) in map(id, refused_references(
        checks.check_clip_by_global_norm))
    assert id(attention.scaled_dot_product_attention) in map(id, refused_references(
        checks.check_attention))
    from course_lib import autograd
    assert id(autograd.topological_order) in map(id, refused_references(checks.check_topo_sort))


# --------------------------------------------------------------------------------------
# What the cells bind: a static walk over the module-level statements
# --------------------------------------------------------------------------------------
#: the packages whose objects a check may refuse (course_lib's own, scikit-learn's metrics)
WATCHED = ("course_lib", "sklearn")


def _import(module: str) -> object | None:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _value(node: ast.expr, names: dict[str, object]) -> object | None:
    """The object a name or attribute chain evaluates to, when known (course_lib's only)."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _value(node.value, names)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def _targets(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, (ast.Tuple, ast.List)):
        return [t for elt in node.elts for t in _targets(elt)]
    if isinstance(node, ast.Starred):
        return _targets(node.value)
    return [node]


def _bind_statement(stmt: ast.stmt, names: dict[str, object]) -> None:
    """Update ``names`` (bare name -> course_lib object it is bound to) for one statement."""
    if isinstance(stmt, ast.ImportFrom):
        if stmt.level or (stmt.module or "").split(".")[0] not in WATCHED:
            for alias in stmt.names:
                names.pop(alias.asname or alias.name, None)
            return
        module = _import(stmt.module)
        for alias in stmt.names:
            if alias.name == "*":
                public = getattr(module, "__all__", None) or [
                    n for n in vars(module) if not n.startswith("_")]
                names.update({n: getattr(module, n) for n in public if hasattr(module, n)})
                continue
            value = getattr(module, alias.name, None)
            if value is None:
                value = _import(f"{stmt.module}.{alias.name}")
            names[alias.asname or alias.name] = value
    elif isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                value = _import(alias.name) if alias.name.split(".")[0] in WATCHED else None
                names[alias.asname] = value
            else:
                top = alias.name.split(".")[0]
                names[top] = _import(top) if top in WATCHED else None
    elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        value = stmt.value
        for target in targets:
            flat = _targets(target)
            if (isinstance(value, (ast.Tuple, ast.List)) and len(flat) == len(value.elts)
                    and not isinstance(stmt, ast.AugAssign)):
                pairs = zip(flat, value.elts)
            else:
                single = value if len(flat) == 1 and not isinstance(stmt, ast.AugAssign) else None
                pairs = ((t, single) for t in flat)
            for name_node, expr in pairs:
                if isinstance(name_node, ast.Name):
                    got = _value(expr, names) if expr is not None else None
                    if got is None:
                        names.pop(name_node.id, None)
                    else:
                        names[name_node.id] = got
    elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        names.pop(stmt.name, None)
    else:
        for target in _loop_targets(stmt):
            for name_node in _targets(target):
                if isinstance(name_node, ast.Name):
                    names.pop(name_node.id, None)
        for body in ("body", "orelse", "finalbody", "handlers"):
            for child in getattr(stmt, body, []):
                if isinstance(child, ast.ExceptHandler):
                    for grandchild in child.body:
                        _bind_statement(grandchild, names)
                elif isinstance(child, ast.stmt):
                    _bind_statement(child, names)
    for node in ast.walk(stmt):  # walrus and comprehension-free module-level rebindings
        if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
            names.pop(node.target.id, None)


def _loop_targets(stmt: ast.stmt) -> list[ast.expr]:
    if isinstance(stmt, (ast.For, ast.AsyncFor)):
        return [stmt.target]
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in stmt.items if item.optional_vars is not None]
    return []


def _code(source: str) -> ast.Module:
    """A cell's source as Python: IPython's magics and shell lines left out."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line
             for line in source.splitlines()]
    return ast.parse("\n".join(lines))


def bindings(sources: list[str]) -> dict[str, object]:
    """Bare name -> course_lib object, after running these cells' sources in order."""
    names: dict[str, object] = {}
    for source in sources:
        for stmt in _code(source).body:
            _bind_statement(stmt, names)
    return {name: value for name, value in names.items() if _course_lib(value)}


def _course_lib(value: object) -> bool:
    module = value.__name__ if isinstance(value, types.ModuleType) else getattr(
        value, "__module__", None)
    return isinstance(module, str) and module.split(".")[0] in WATCHED


def test_bindings_sees_imports_aliases_and_assignments():
    from course_lib import layers, naive

    found = bindings(["from course_lib.layers import Sigmoid, Tanh as T\nimport numpy as np",
                      "from course_lib import layers\nR = layers.ReLU\nx, M = 1, layers.MatMul",
                      "from course_lib.naive import *",
                      "def Tanh(): pass\nT = 3"])
    assert found["Sigmoid"] is layers.Sigmoid and found["R"] is layers.ReLU
    assert found["M"] is layers.MatMul and found["layers"] is layers
    assert found["conv3x3_forward_naive"] is naive.conv3x3_forward_naive
    assert "T" not in found and "np" not in found and "x" not in found


# --------------------------------------------------------------------------------------
# The test: every exercise of every student notebook
# --------------------------------------------------------------------------------------
def exercises(name: str) -> list[tuple[int, str, list[str]]]:
    """(answer cell index, its id, the checks called right after it) of each exercise."""
    instructor = nbformat.read(REPO / "notebooks" / name, as_version=4)
    _, solutions = make_student.student_version(instructor, name)
    student = nbformat.read(REPO / "student" / name, as_version=4)
    assert [c.id for c in student.cells] == [c.id for c in instructor.cells], (
        f"student/{name} is not the student version of notebooks/{name}: run make student")
    found = []
    for index in solutions:
        if student.cells[index].cell_type != "code":
            continue
        called = []
        for j in check_cells(student, [index]):
            called += [node.attr for node in ast.walk(_code(student.cells[j].source))
                       if isinstance(node, ast.Attribute) and node.attr.startswith("check_")]
        found.append((index, student.cells[index].id, called))
    return found


def references_before(name: str) -> list[str]:
    """Each exercise whose reference is bound to a bare name before its answer cell."""
    student = nbformat.read(REPO / "student" / name, as_version=4)
    problems = []
    for index, cell_id, called in exercises(name):
        refused = {id(r): r for check in called for r in refused_references(
            getattr(checks, check))}
        before = [c.source for c in student.cells[:index] if c.cell_type == "code"]
        bound = bindings(before)
        hits = sorted(n for n, value in bound.items() if id(value) in refused)
        if hits:
            problems.append(f"cell {index} ({cell_id}, {', '.join(called)}): "
                            f"{', '.join(hits)} already bound to the reference its check refuses")
    return problems


@pytest.mark.parametrize("notebook", STUDENT_NOTEBOOKS, ids=lambda p: p.stem)
def test_no_reference_of_an_exercise_is_a_bare_name_before_its_answer(notebook):
    problems = references_before(notebook.name)
    assert not problems, (
        f"student/{notebook.name}: a student could answer these exercises by calling "
        f"the reference (course_lib's, or scikit-learn's). Import it after the exercise, or use it qualified "
        f"(layers.Sigmoid()) in the cells before:\n  " + "\n  ".join(problems))


@pytest.mark.parametrize("notebook", STUDENT_NOTEBOOKS, ids=lambda p: p.stem)
def test_every_exercise_with_a_check_is_seen(notebook):
    """The walk finds the exercises: each answer cell but a few has a check cell after it."""
    found = exercises(notebook.name)
    assert found, f"{notebook.name}: no exercise found"
    with_checks = [called for _, _, called in found if called]
    assert len(with_checks) >= len(found) / 2, found
