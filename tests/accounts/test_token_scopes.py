"""Every API endpoint names the scope a token needs, in the code and in the OpenAPI schema; an endpoint added
without one fails here by name (and refuses every token meanwhile)."""

import importlib
import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

from accounts.scopes import (
    ALL_SCOPES,
    DEMO_INTEGRATION_SCOPES,
    RESOURCE_NAMES,
    RESOURCES,
    SCOPES,
    required_scope,
    scope_for,
    view_resource,
)

HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")


def _api_routes(patterns=None, prefix=""):
    """(route, callback) of every URL pattern under api/v1/."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and (prefix + str(pattern.pattern)).startswith("api/v1/"):
            yield prefix + str(pattern.pattern), pattern.callback


def _requests(callback):
    """(method, view instance) for each method the route answers, the view set up as DRF sets it up (with the
    route's `as_view(...)` arguments: a route may name its own resource, `as_view(scope_resource="leads")`)."""
    cls, initkwargs = callback.cls, getattr(callback, "initkwargs", {})
    actions = getattr(callback, "actions", None)
    if actions:  # a viewset route: its method → action map
        for method, action in actions.items():
            view = cls(**initkwargs)
            view.action = action
            yield method, view
        return
    for method in HTTP_METHODS:
        if method not in ("head", "options") and hasattr(cls, method):
            yield method, cls(**initkwargs)


def test_every_api_view_names_a_known_token_resource():
    problems = set()
    routes = list(_api_routes())
    assert len(routes) > 100  # the walk reached the whole API
    for route, callback in routes:
        if not hasattr(callback, "cls"):
            problems.add(f"{route}: a plain function view; write it as an APIView with scope_resource")
            continue
        for method, view in _requests(callback):
            name = f"{callback.cls.__module__}.{callback.cls.__qualname__}"
            resource = view_resource(view, method)
            if resource is None:
                problems.add(f"{name} ({method.upper()} {route}) sets no scope_resource (accounts/scopes.py)")
            elif resource not in RESOURCE_NAMES:
                problems.add(f"{name} ({method.upper()} {route}) names unknown resource {resource!r}")
    assert not problems, "\n".join(sorted(problems))


def test_every_operation_of_the_schema_lists_exactly_the_one_scope_it_needs():
    schema = json.loads(json.dumps(SchemaGenerator().get_schema(public=True), default=str))
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    operations = 0
    for path, item in schema["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            operations += 1
            bearer = [req["bearerAuth"] for req in operation.get("security", []) if "bearerAuth" in req]
            assert len(bearer) == 1 and len(bearer[0]) == 1, (method, path, operation.get("security"))
            scope = bearer[0][0]
            assert scope in SCOPES, (method, path, scope)
            assert f"An API token needs the `{scope}` scope." in operation["description"], (method, path)
    assert operations > 150


def test_reading_needs_read_writing_needs_write_and_single_access_resources_need_their_one_scope():
    assert scope_for("leads", "GET") == "leads:read"
    assert scope_for("leads", "HEAD") == "leads:read"
    assert scope_for("leads", "PATCH") == "leads:write"
    assert scope_for("imports", "GET") == "imports:write"
    assert scope_for("webhooks", "DELETE") == "webhooks:manage"
    assert scope_for("audit", "GET") == "audit:read"
    with pytest.raises(KeyError):
        scope_for("exports", "GET")  # an export needs the read scope of what it exports


def test_the_registry_labels_every_scope_and_the_demo_integration_gets_all_but_the_audit():
    assert len(SCOPES) == len(ALL_SCOPES) == sum(len(resource.accesses) for resource in RESOURCES)
    assert all(label and ": " in label for label in SCOPES.values())
    assert {"leads:read", "leads:write", "touches:write", "metrics:read", "webhooks:manage"} <= set(SCOPES)
    assert set(ALL_SCOPES) - set(DEMO_INTEGRATION_SCOPES) == {"audit:read"}


def test_a_request_path_without_a_resource_has_no_scope():
    class Anonymous:
        pass

    assert required_scope(Anonymous(), "GET") is None


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (["read"], [s for s in SCOPES if s.endswith(":read")]),
        (["write"], [s for s in SCOPES if not s.endswith(":read")]),
        (["read", "write"], list(SCOPES)),
        ([], []),
    ],
)
def test_the_migration_gives_old_tokens_the_same_rights_on_every_resource(old, new):
    migration = importlib.import_module("accounts.migrations.0006_scoped_tokens")
    assert migration.widened(old) == new
    assert migration.narrowed(migration.widened(old)) == old


def test_the_permissions_document_lists_exactly_the_registrys_scopes():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "permissions.md").read_text()
    section = doc.split("## Token scopes\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("| ")][1:]
    listed = [scope.strip(" `") for _, scopes, _ in rows for scope in scopes.split(",")]
    assert listed == list(SCOPES)
