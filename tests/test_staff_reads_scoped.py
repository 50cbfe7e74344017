"""Issue 16 §3: every staff-facing page and API operation reads through selectors that take the user.

The views are found by walking the URL resolver (pages under /workspace/, /reports/, /registry/ and
/participation/manage/) and the ninja routers (every operation that needs a signed-in user, less the
citizens' own). Each view's source — and that of the helpers in its own module it calls — is read
as a syntax tree, and:
- it queries no model itself (``X.objects…``, ``X._default_manager``, ``get_object_or_404(X, …)``);
- if it reads, some selector (or service) call is given the user (``request.user``, ``user``,
  ``actor``, or the request that carries it): that is the scoped read; further selector calls may
  take what it returned (an appeal's history takes the appeal the user may see);
- no selector call is given nothing at all (a read of everything), unless its answer is the same for
  every user (``NOT_SCOPED_BY_NATURE``: the region's settings).
A view that reads nothing (a static script, a markup preview) passes. The checker fails on each kind
of violation (tested).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

STAFF_PAGES = ("workspace/", "reports/", "registry/", "participation/manage/")
# Operations that need a signed-in user but serve citizens, not staff.
CITIZEN_OPERATIONS = {
    "POST /participation/events/{event_id}/ballot": "a citizen's vote",
}
USER_NAMES = frozenset({"user", "actor", "viewer"})
MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})
SHORTCUTS = frozenset({"get_object_or_404", "get_list_or_404"})

# Selectors whose answer is the same for every user: the region's configuration, no one's data.
NOT_SCOPED_BY_NATURE = {
    "otklik.registry.selectors.region_settings",
    "otklik.registry.selectors.map_view",
    "otklik.reports.selectors.default_period",
    "otklik.participation.selectors.territory_choices",
}
# Known staff views that still read past the user-scoped selectors, each with the reason. A new entry
# is a review question; the list only shrinks (a test asserts each entry still violates).
ALLOWED: dict[str, str] = {}


# --- the checker ------------------------------------------------------------------------------------


def _source_tree(target: Any) -> ast.AST:
    return ast.parse(textwrap.dedent(inspect.getsource(target)))


def _is_request(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "request"


def _mentions_user(node: ast.AST) -> bool:
    """Whether an argument hands over the user: ``user``, ``request.user``, ``_user(request)`` or the
    request itself — not ``request.GET`` or a value read from it."""
    if _is_request(node):
        return True
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name) and inner.id in USER_NAMES:
            return True
        if isinstance(inner, ast.Attribute) and inner.attr == "user":
            return True
        if isinstance(inner, ast.Call) and any(_is_request(argument) for argument in inner.args):
            return True
    return False


def _resolve(func: ast.expr, namespace: dict[str, Any]) -> Any:
    """The object a called name stands for in the view's module (``name`` or ``module.name``)."""
    if isinstance(func, ast.Name):
        return namespace.get(func.id)
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        owner = namespace.get(func.value.id)
        if isinstance(owner, types.ModuleType):
            return getattr(owner, func.attr, None)
    return None


def _module_of(target: Any) -> str:
    return getattr(target, "__module__", "") or ""


def _call_target(node: ast.Call, namespace: dict[str, Any]) -> tuple[str, Any]:
    """The module a call goes into and what it calls: ``selectors.x(…)`` with ``selectors`` a
    module, or a name imported from one; ("", None) where the name is not the module's."""
    target = _resolve(node.func, namespace)
    module = _module_of(target)
    if not module and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
        owner = node.func.value.id  # a sample's source without its module: judge by the name
        module = owner if owner.endswith(("selectors", "services")) and owner not in namespace else ""
    return module, target


def _is_layer(module: str, layer: str) -> bool:
    return module == layer or module.endswith(f".{layer}")


class Reads:
    """What a view's tree (and its module's helpers) does: direct queries, unscoped selector calls,
    and whether some selector or service is given the user."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.reads = False
        self.scoped = False


def _scan(tree: ast.AST, namespace: dict[str, Any], own_module: str, seen: set[int], found: Reads,
          where: str = "") -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in MANAGERS:
            found.reads = True
            found.problems.append(f"{where}line {node.lineno}: queries {ast.unparse(node)[:60]} directly")
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name in SHORTCUTS and node.args:
            found.reads = True
            found.problems.append(f"{where}line {node.lineno}: queries {ast.unparse(node.args[0])[:60]} with {name}")
            continue
        module, target = _call_target(node, namespace)
        arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
        given_user = any(_mentions_user(argument) for argument in arguments)
        if _is_layer(module, "selectors"):
            if inspect.isclass(target):
                continue  # a filter's dataclass, not a read
            found.reads = True
            found.scoped |= given_user
            qualified = f"{module}.{getattr(target, '__name__', name)}"
            if not arguments and qualified not in NOT_SCOPED_BY_NATURE:
                found.problems.append(f"{where}line {node.lineno}: {ast.unparse(node.func)}() reads unscoped: "
                                      "give it the user")
        elif _is_layer(module, "services"):
            found.scoped |= given_user
        elif own_module and module == own_module and inspect.isfunction(target) and id(target) not in seen:
            seen.add(id(target))
            _scan(_source_tree(target), target.__globals__, own_module, seen, found, f"{where}{target.__name__}: ")


def tree_violations(tree: ast.AST, namespace: dict[str, Any] | None = None, *, own_module: str = "",
                    seen: set[int] | None = None) -> list[str]:
    """What in ``tree`` reads past the user-scoped selectors; ``namespace`` resolves called names
    (the view's module globals), and helpers of ``own_module`` are followed into."""
    found = Reads()
    _scan(tree, namespace if namespace is not None else {}, own_module, seen if seen is not None else set(), found)
    if found.reads and not found.scoped:
        found.problems.append("reads, but gives the user to no selector or service")
    return found.problems


def view_violations(view: Callable[..., Any]) -> list[str]:
    target: Any = getattr(view, "view_class", None) or inspect.unwrap(view)
    namespace = vars(inspect.getmodule(target)) if inspect.isclass(target) else target.__globals__
    return tree_violations(_source_tree(target), namespace, own_module=_module_of(target),
                           seen={id(target)})


# --- the views ----------------------------------------------------------------------------------------


def _patterns(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Callable[..., Any]]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def staff_pages() -> dict[str, Callable[..., Any]]:
    return {f"/{route}": callback for route, callback in _patterns(get_resolver().url_patterns)
            if route.startswith(STAFF_PAGES)}


def _operations() -> Iterator[tuple[str, bool, Callable[..., Any]]]:
    """Every API operation as «METHOD /path», whether it needs a signed-in user, and its view."""
    from otklik.api import api

    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                route = "/" + "/".join(part for part in (prefix.strip("/"), path.strip("/")) if part)
                for method in operation.methods:
                    yield f"{method} {route}", operation.auth_param is not None, operation.view_func


def staff_operations() -> dict[str, Callable[..., Any]]:
    """Operations that need a signed-in user (open ones serve the public through intake.selectors),
    less the citizens' own."""
    return {name: view for name, signed_in, view in _operations() if signed_in and name not in CITIZEN_OPERATIONS}


def staff_views() -> dict[str, Callable[..., Any]]:
    return {**staff_pages(), **staff_operations()}


def _key(name: str, view: Callable[..., Any]) -> str:
    target = getattr(view, "view_class", None) or inspect.unwrap(view)
    return f"{_module_of(target)}.{target.__qualname__}"


def test_the_walk_finds_the_staff_pages_and_operations():
    views = staff_views()
    assert "/workspace/appeals/<int:pk>/" in views
    assert "/reports/" in views and "/registry/import/" in views
    assert "GET /appeals" in views and "GET /reports/dashboard" in views and "GET /escalations" in views
    assert "POST /appeals/{appeal_id}/rate" not in views  # the applicant's, with the tracking secret
    assert "GET /participation/events" not in views
    assert len(views) > 80


def test_the_citizens_operations_left_out_are_real_signed_in_operations():
    signed_in = {name for name, needs_user, _view in _operations() if needs_user}
    assert set(CITIZEN_OPERATIONS) <= signed_in


def test_every_staff_view_reads_through_selectors_that_take_the_user():
    offenders = {}
    for name, view in staff_views().items():
        key = _key(name, view)
        if key in ALLOWED:
            continue
        problems = view_violations(view)
        if problems:
            offenders[f"{name} ({key})"] = problems
    assert offenders == {}


def test_the_allowed_views_still_violate_so_the_list_only_shrinks():
    by_key = {_key(name, view): view for name, view in staff_views().items()}
    for key, why in ALLOWED.items():
        assert key in by_key, f"{key} is no staff view any more: drop it"
        assert view_violations(by_key[key]), f"{key} ({why}) reads through the selectors now: drop it"


@pytest.mark.parametrize(("code", "expected"), [
    ("def view(request, pk):\n    return Appeal.objects.filter(pk=pk).first()", True),
    ("def view(request, pk):\n    return Appeal._default_manager.get(pk=pk)", True),
    ("def view(request, pk):\n    return get_object_or_404(Appeal, pk=pk)", True),
    ("def view(request):\n    return selectors.visible_appeals()", True),
    ("def view(request):\n    return selectors.visible_appeals(request.user)", False),
    ("def view(request):\n    return selectors.visible_appeals(request.GET)", True),  # the query string is no user
    ("def view(request, pk):\n    return selectors.appeal_history(pk)", True),  # read, never scoped
    ("def view(request, pk):\n    a = selectors.appeal_for_user(request.user, pk)\n"
     "    return selectors.appeal_history(a)", False),
    ("def view(request, pk):\n    return selectors.appeal_for_user(user=request.user, appeal_id=pk)", False),
    ("def view(request):\n    return render(request, 'page.html', {'form': Form()})", False),
])
def test_the_checker_catches_a_direct_read(code, expected):
    assert bool(tree_violations(ast.parse(code))) is expected, code


def test_the_checker_follows_a_helper_of_the_views_module(tmp_path, monkeypatch):
    (tmp_path / "sample_views.py").write_text(textwrap.dedent("""
        from django.views import View

        from otklik.appeals import selectors
        from otklik.appeals.models import Appeal

        def view(request, pk):
            return _helper(request.user, pk)

        def scoped(request, pk):
            return selectors.appeal_for_user(request.user, pk)

        def _helper(user, pk):
            return Appeal.objects.filter(pk=pk).first()

        class Listing(View):
            def get(self, request):
                return selectors.search_appeals(request.user, Appeal.objects.none())

        listing = Listing.as_view()
    """), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("sample_views")
    try:
        assert "_helper: line 2: queries Appeal.objects directly" in view_violations(module.view)
        assert view_violations(module.scoped) == []
        assert view_violations(module.listing) == ["line 3: queries Appeal.objects directly"]  # the class is read
    finally:
        sys.modules.pop("sample_views", None)
