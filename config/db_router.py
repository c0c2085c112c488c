"""Reads that scale out: report and dashboard reads may go to a read-only streaming replica.

With DATABASE_REPLICA_URL set, settings add the "replica" database. Reads go there only inside an explicit
`replica_reads()` scope, which report pages and endpoints enter with the one-line `@reads_from_replica`, and even
then never inside a transaction on the primary (a service's reads must see its own uncommitted writes) nor after
the scope has written once (the replica lags: the scope would not see what it just wrote). Everything else uses
the primary, as with no replica configured: every write (db_for_write is always the primary); the one door,
funnel.services.transitions.lead_transition, whose reads are all inside its transaction; jobs and POST handlers,
which never enter the scope. Code that calls a service inside a scope of its own wraps the call in
`primary_reads()`: a service's reads before its first write, outside a transaction, would read the replica.

Raw SQL does not pass through routers: report selectors take their cursor from `read_connection()`.
"""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections, router

REPLICA = "replica"
# Methods that read only: a POST, PUT, PATCH or DELETE handled by a decorated view reads the primary.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class _Scope:
    wrote: bool = False


# A ContextVar, not a thread-local: each thread and each asyncio task has its own scope.
_scope: ContextVar[_Scope | None] = ContextVar("replica_reads_scope", default=None)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside this block may go to the replica (see the module's docstring for when they do not)."""
    token = _scope.set(_Scope())
    try:
        yield
    finally:
        _scope.reset(token)


@contextmanager
def primary_reads() -> Iterator[None]:
    """Reads inside this block go to the primary, even within a replica_reads() scope."""
    token = _scope.set(None)
    try:
        yield
    finally:
        _scope.reset(token)


def replica_configured() -> bool:
    return REPLICA in connections.settings


def _reading_alias() -> str:
    scope = _scope.get()
    if scope is None or scope.wrote or not replica_configured():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return REPLICA


def read_connection():
    """The connection a raw-SQL report reads through: the replica inside a scope, else the primary."""
    return connections[router.db_for_read(None)]


class ReplicaRouter:
    """DATABASE_ROUTERS entry: reads as `_reading_alias` decides, writes and migrations on the primary only."""

    def db_for_read(self, model, **hints) -> str:
        return _reading_alias()

    def db_for_write(self, model, **hints) -> str:
        scope = _scope.get()
        if scope is not None:
            scope.wrote = True  # from now on this scope reads its own writes on the primary
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # The replica is a copy of the primary: a row read from either may point at a row of the other.
        databases = {DEFAULT_DB_ALIAS, REPLICA}
        return True if {obj1._state.db, obj2._state.db} <= databases else None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


def reads_from_replica(view):
    """Decorates a function view, a Django class-based view or a DRF view/viewset: its GET, HEAD and OPTIONS
    handling reads from the replica. Authentication and permission checks still read the primary (a session
    or token created a moment ago may not have reached the replica yet): put @login_required above it."""
    if isinstance(view, type):
        return _class_reads_from_replica(view)

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in SAFE_METHODS:
            return view(request, *args, **kwargs)
        with replica_reads():
            return view(request, *args, **kwargs)

    return wrapped


def _class_reads_from_replica(cls: type) -> type:
    dispatch = cls.dispatch

    @functools.wraps(dispatch)
    def scoped_dispatch(self, request, *args, **kwargs):
        if request.method not in SAFE_METHODS:
            return dispatch(self, request, *args, **kwargs)
        with replica_reads():
            return dispatch(self, request, *args, **kwargs)

    cls.dispatch = scoped_dispatch
    initial: Callable | None = getattr(cls, "initial", None)  # DRF: authentication, permissions, throttles
    if initial is not None:

        @functools.wraps(initial)
        def initial_on_primary(self, request, *args, **kwargs):
            with primary_reads():
                return initial(self, request, *args, **kwargs)

        cls.initial = initial_on_primary
    return cls
