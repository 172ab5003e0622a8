"""Read selectors for the core. Each returns data already limited to the user's scope."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Substr

from gridlight.core.access import Perm, Viewer, require, scope_for, scoped
from gridlight.core.compiled import CompiledQuery
from gridlight.core.models import (
    Assignment,
    AuditEvent,
    PositionKind,
    Region,
    ServicePosition,
    User,
)
from gridlight.core.models.regions import SEGMENT_WIDTH, subtree


@dataclass
class NodeCounts:
    """How much lies under one node: regions by level and positions by kind."""

    levels: dict[int, int] = field(default_factory=dict)
    positions: dict[str, int] = field(default_factory=dict)

    @property
    def positions_total(self) -> int:
        return sum(self.positions.values())


@dataclass
class ChildRow:
    region: Region
    counts: NodeCounts


def _counts_by_prefix(prefix_len: int, under: str) -> dict[str, NodeCounts]:
    """Counts of regions and positions under ``under``, grouped by the first ``prefix_len``
    characters of their path (that is, by the child of ``under`` they lie in). Two queries."""
    result: dict[str, NodeCounts] = defaultdict(NodeCounts)
    regions = (
        Region.objects.filter(subtree("path", under, include_self=False))
        .annotate(prefix=Substr("path", 1, prefix_len))
        .values("prefix", "level")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in regions:
        result[row["prefix"]].levels[row["level"]] = row["n"]
    positions = (
        ServicePosition.objects.filter(subtree("region_path", under))
        .annotate(prefix=Substr("region_path", 1, prefix_len))
        .values("prefix", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    order = {kind: i for i, kind in enumerate(PositionKind.values)}
    for row in sorted(positions, key=lambda r: order.get(r["kind"], 99)):
        result[row["prefix"]].positions[row["kind"]] = row["n"]
    return result


def region_scope_roots(user: Viewer) -> QuerySet[Region]:
    """The top nodes of the user's view scope (a district admin: the district)."""
    scope = require(user, Perm.REGION_VIEW)
    return Region.objects.filter(path__in=scope.paths).order_by("path")


def region_node_counts(region: Region) -> NodeCounts:
    """Everything under ``region`` (not counting itself), by level and position kind."""
    counts = _counts_by_prefix(len(region.path), region.path)
    total = counts.get(region.path, NodeCounts())
    total.levels.pop(region.level, None)
    return total


def region_children(region: Region) -> list[ChildRow]:
    """The children of a node the caller may view, each with what lies under it."""
    children = list(region.children.order_by("sort_order", "path"))
    if not children:
        return []
    counts = _counts_by_prefix(len(region.path) + 1 + SEGMENT_WIDTH, region.path)
    rows = []
    for child in children:
        c = counts.get(child.path, NodeCounts())
        c.levels.pop(child.level, None)
        rows.append(ChildRow(child, c))
    return rows


def region_breadcrumbs(user: Viewer, region: Region) -> list[tuple[Region, bool]]:
    """Ancestors of ``region`` with whether the user may open each of them."""
    scope = scope_for(user, Perm.REGION_VIEW)
    ancestors = Region.objects.filter(path__in=region.ancestor_paths()).order_by("path")
    return [(a, scope.contains(a.path)) for a in ancestors]


def regions_list(user: Viewer, *, level: int | None = None, q: str = "") -> QuerySet[Region]:
    qs = scoped(Region.objects.all(), user, Perm.REGION_VIEW, field="path")
    if level is not None:
        qs = qs.filter(level=level)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__startswith=q))
    return qs.order_by("path")


def positions_list(
    user: Viewer, *, q: str = "", kind: str = "", region: Region | None = None
) -> QuerySet[ServicePosition]:
    """Positions in the user's scope, filtered by text, kind and a region subtree."""
    qs = scoped(ServicePosition.objects.select_related("region"), user, Perm.POSITION_VIEW)
    if kind:
        qs = qs.filter(kind=kind)
    if region is not None:
        qs = qs.filter(subtree("region_path", region.path))
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(address__icontains=q) | Q(code__startswith=q))
    return qs.order_by("region_path", "kind", "name")


def audit_search(
    user: Viewer,
    *,
    actor: str = "",
    action: str = "",
    obj: str = "",
    region: Region | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Audit events in the user's scope. Events with no region (logins, tokens) are district-wide
    and only visible to those whose scope includes a root region."""
    scope = require(user, Perm.AUDIT_VIEW)
    roots = set(Region.objects.filter(parent__isnull=True).values_list("path", flat=True))
    visible = scope.q("region_path")
    if any(p in roots for p in scope.paths):
        visible |= Q(region_path="")
    qs = AuditEvent.objects.filter(visible)
    if actor:
        # By user name, or by the display name the trail shows.
        qs = qs.filter(Q(actor_label__icontains=actor) | Q(actor__display_name__icontains=actor))
    if action:
        qs = qs.filter(action__startswith=action)
    if obj:
        qs = qs.filter(Q(object_label__icontains=obj) | Q(object_id=obj))
    if region is not None:
        qs = qs.filter(subtree("region_path", region.path))
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    return qs.order_by("-at", "-id")


def users_list(user: Viewer, *, q: str = "", role: str = "") -> QuerySet[User]:
    """Accounts the user may see: those holding a role inside the user's scope; a whole-district
    manager also sees public accounts and accounts without any role."""
    scope = require(user, Perm.USER_VIEW)
    held = Assignment.objects.filter(scope.q("region_path"), user=OuterRef("pk"), active=True)
    if role:
        held = held.filter(role=role)
    visible = Q(Exists(held))
    roots = set(Region.objects.filter(parent__isnull=True).values_list("path", flat=True))
    if not role and any(p in roots for p in scope.paths):
        with_region = Assignment.objects.filter(user=OuterRef("pk"), active=True).exclude(
            region_path=""
        )
        visible |= ~Q(Exists(with_region))
    elif role and any(p in roots for p in scope.paths):
        visible |= Q(
            Exists(
                Assignment.objects.filter(
                    user=OuterRef("pk"), active=True, role=role, region_path=""
                )
            )
        )
    qs = User.objects.filter(visible)
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    return qs.prefetch_related(
        Prefetch(
            "assignments",
            queryset=Assignment.objects.filter(active=True).select_related("region").order_by("id"),
            to_attr="active_assignments",
        )
    ).order_by("username")


# Street ids by street path. A region keeps its path for life (regions are renamed and recoded,
# never moved or deleted), so what is read once stays true for the life of the process.
_street_ids: dict[str, int] = {}


def street_id_of(path: str) -> int | None:
    """The id of the street a region lies in, from the region's path; None above street level.
    Remembered per process: every ticket records its street, and this is asked on every intake."""
    parts = path.split(".")
    if len(parts) < 2:
        return None
    street_path = ".".join(parts[:2])
    found = _street_ids.get(street_path)
    if found is None:
        found = Region.objects.filter(path=street_path).values_list("pk", flat=True).first()
        if found is not None:
            _street_ids[street_path] = found
    return found


def forget_street_ids() -> None:
    """Drop what ``street_id_of`` remembered (for tests, whose databases come and go)."""
    _street_ids.clear()


def region_by_code(
    user: Viewer, perm: Perm, code: str, *, level: int | None = None
) -> Region | None:
    """The region with ``code`` if it lies in the user's scope for ``perm`` (and at ``level``),
    else None: how a region typed into a filter or a form is looked up."""
    scope = require(user, perm)  # 403 if the permission is held nowhere
    # Runs on every intake: the region by its unique code (compiled once), then the scope.
    region = _REGION_BY_CODE.one(code.strip())
    if region is None or (level is not None and region.level != level):
        return None
    return region if scope.contains(region.path) else None


_REGION_BY_CODE = CompiledQuery(
    lambda code: Region.objects.filter(code=code).order_by(), "\0region-code"
)
