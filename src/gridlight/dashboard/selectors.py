"""The cockpit as the page and the API serve it: a region's tiles (one query), the sections the
viewer may read, every figure with its label, unit, the list page it comes from and how it is
computed (its provenance), in the viewer's language. Nothing here reads the records themselves:
``refresh`` has counted them."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridlight.core.access import Viewer
from gridlight.core.industries import Industry
from gridlight.core.models import Region, RegionLevel
from gridlight.dashboard.access import sections_for
from gridlight.dashboard.models import CockpitTile, Section
from gridlight.development.models import STAGE_ORDER, LandUse, Stage
from gridlight.evaluation.models import Standing
from gridlight.policies.models import Mode
from gridlight.talent.models import ListingStage, TagKind, TagLevel
from gridlight.tickets.kpi import Rate

# The report's key indicators, shown first when the district has them (FACTS.md §2).
HEADLINE = ["finance_va", "gdp", "stations_5g", "energy_scale"]


@lru_cache(maxsize=4096)
def _reverse(name: str, args: tuple[Any, ...]) -> str:
    """Named URLs, resolved once (the page names a few hundred of them)."""
    return reverse(name, args=list(args))


def _url(name: str, args: list[Any] | None = None, **query: Any) -> str:
    base = _reverse(name, tuple(args or ()))
    params = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{base}?{urlencode(params)}" if params else base


def fig(
    key: str, label: str, value: Any, *, unit: str = "", url: str = "", how: str = ""
) -> dict[str, Any]:
    """A figure as the page draws it: value (None: missing, shown as —), where it comes from."""
    return {"key": key, "label": label, "value": value, "unit": unit, "url": url, "how": how}


def _rate(numerator: int, denominator: int) -> float | None:
    return Rate(numerator, denominator).percent


def _households(region: Region, data: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    url = _reverse("households:dashboard_region", (region.pk,))
    total = data["total"]
    lights = [("red", _("Red")), ("yellow", _("Yellow")), ("green", _("Green"))]
    return {
        "title": _("Households by light"),
        "figures": [
            fig(
                "households.total",
                _("Households"),
                total,
                unit=_("households"),
                url=url,
                how=_("Active households in %(region)s, counted per grid") % {"region": region},
            ),
            *[
                fig(
                    f"households.{light}",
                    label,
                    data[light],
                    unit=_("households"),
                    url=_url("households:list", light=light, region=region.code),
                    how=_("Active households whose light in force is %(light)s") % {"light": label},
                )
                for light, label in lights
            ],
            fig(
                "households.coverage",
                _("Visited in 30 days"),
                _rate(data["visited_30d"], total),
                unit="%",
                url=url,
                how=_("%(n)s of %(d)s active households visited in the last 30 days")
                % {"n": data["visited_30d"], "d": total},
            ),
            fig(
                "households.overdue",
                _("Visits overdue"),
                data["overdue"],
                unit=_("households"),
                url=_reverse("households:worklist", ()),
                how=_("Active households whose next visit is past due"),
            ),
        ],
        "lights": {light: data[light] for light, _label in lights},
        "light_names": {light: str(label) for light, label in lights},
        "children": [
            {"name": names.get(c["code"], c["code"]), **c} for c in data.get("children", [])
        ],
    }


def _tickets(region: Region, data: dict[str, Any]) -> dict[str, Any]:
    street = region.pk if region.level == RegionLevel.STREET else None
    kpi_url = _url("tickets:kpi", street=street, start=data["start"], end=data["end"])
    c = data["counts"]
    period = f"{data['start']} – {data['end']}"

    def rate(key: str, label: str, num: str, den: str, how: str) -> dict[str, Any]:
        return fig(
            f"tickets.{key}",
            label,
            _rate(c[num], c[den]),
            unit="%",
            url=kpi_url,
            how=how % {"n": c[num], "d": c[den], "period": period},
        )

    trend = {
        "response": [_rate(m["responded_on_time"], m["dispatches"]) for m in data["by_month"]],
        "on_time": [_rate(m["handled_on_time"], m["timed"]) for m in data["by_month"]],
        "satisfaction": [_rate(m["satisfied"], m["rated"]) for m in data["by_month"]],
    }
    return {
        "title": _("Tickets"),
        "figures": [
            fig(
                "tickets.dispatches",
                _("Dispatches"),
                c["dispatches"],
                url=kpi_url,
                how=_("Dispatches to units in %(period)s") % {"period": period},
            ),
            rate(
                "on_time",
                _("On-time rate"),
                "handled_on_time",
                "timed",
                _("%(n)s handled on time of %(d)s whose timeliness is known, %(period)s"),
            ),
            rate(
                "response",
                _("Response rate"),
                "responded_on_time",
                "dispatches",
                _("%(n)s signed for on time of %(d)s dispatches, %(period)s"),
            ),
            rate(
                "satisfaction",
                _("Satisfaction rate"),
                "satisfied",
                "rated",
                _("%(n)s satisfied of %(d)s rated, %(period)s"),
            ),
            fig(
                "tickets.closure",
                _("Closure rate"),
                _rate(data["closed"], data["received"]),
                unit="%",
                url=_reverse("tickets:list", ()),
                how=_("%(n)s closed of %(d)s tickets received in %(period)s")
                % {"n": data["closed"], "d": data["received"], "period": period},
            ),
        ],
        "months": data["months"],
        "trend": trend,
        "trend_names": {
            "response": _("Response rate"),
            "on_time": _("On-time rate"),
            "satisfaction": _("Satisfaction rate"),
        },
        "dispatches": [m["dispatches"] for m in data["by_month"]],
        "dispatches_label": _("Dispatches"),
    }


def _talent(region: Region, data: dict[str, Any]) -> dict[str, Any]:
    street = region.code if region.level == RegionLevel.STREET else ""
    industries = dict(Industry.choices)
    solved_url = _url(
        "talent_problems:solved", by="month", start=f"{data['year']}-01", end=f"{data['year']}-12"
    )
    return {
        "title": _("Talents and enterprises"),
        "figures": [
            fig(
                "talent.talents",
                _("Talents"),
                data["talents"],
                unit=_("people"),
                url=_url("talent:talent_list", street=street),
                how=_("Talents on the register served in %(region)s") % {"region": region},
            ),
            fig(
                "talent.enterprises",
                _("Enterprises"),
                data["enterprises"],
                unit=_("enterprises"),
                url=_url("talent:enterprise_list", street=street),
                how=_("Enterprises on the register in %(region)s") % {"region": region},
            ),
            fig(
                "talent.solved",
                _("Problems solved"),
                data["solved"],
                unit=_("problems"),
                url=solved_url,
                how=_("Talent problems whose ticket was closed as resolved in %(year)s")
                % {"year": data["year"]},
            ),
            fig(
                "talent.raised",
                _("Problems raised"),
                data["raised"],
                unit=_("problems"),
                url=solved_url,
                how=_("Talent problems raised in %(year)s") % {"year": data["year"]},
            ),
        ],
        "industries": [
            {
                "code": k,
                "name": str(industries.get(k, k)),
                "n": data["industries"].get(k, 0),
                "url": _url("talent:enterprise_list", industry=k, street=street),
            }
            for k in Industry.values
            if data["industries"].get(k)
        ],
        "tags": _enterprise_tags(region, street, data),
    }


def _enterprise_tags(region: Region, street: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Enterprises by tag (重点引进, 专精特新 and its levels, 上市资源 and its stages), each a
    figure linking to the enterprise list filtered the same way."""
    tags, levels, stages = dict(TagKind.choices), dict(TagLevel.choices), dict(ListingStage.choices)
    out = []
    for kind in TagKind.values:
        n = data["tags"].get(kind, 0)
        if not n:
            continue
        out.append(
            fig(
                f"talent.tag.{kind}",
                str(tags[kind]),
                n,
                unit=_("enterprises"),
                url=_url("talent:enterprise_list", tag=kind, street=street),
                how=_("Enterprises in %(region)s tagged %(tag)s")
                % {"region": region, "tag": tags[kind]},
            )
        )
        for key, m in data.get("grades", {}).items():
            k, level, stage = key.split(":")
            if k != kind:
                continue
            grade = levels.get(level, level) if level else stages.get(stage, stage)
            out.append(
                fig(
                    f"talent.tag.{kind}.{level or stage}",
                    f"· {grade}",
                    m,
                    unit=_("enterprises"),
                    url=_url(
                        "talent:enterprise_list",
                        tag=kind,
                        tag_level=level,
                        tag_stage=stage,
                        street=street,
                    ),
                    how=_("Enterprises in %(region)s tagged %(tag)s, %(grade)s")
                    % {"region": region, "tag": tags[kind], "grade": grade},
                )
            )
    return out


def _projects(region: Region, data: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    street = region.code if region.level == RegionLevel.STREET else ""
    year = data["year"]

    def url(**more: Any) -> str:
        return _url("development:project_list", year=year, street=street, **more)

    lights = [("red", _("Red")), ("yellow", _("Yellow")), ("green", _("Green"))]
    stages = dict(Stage.choices)
    industries = dict(Industry.choices)
    land = dict(LandUse.choices)
    yi = round(data["investment_fen"] / 10**10, 2)  # fen → 亿元
    items = [
        fig(
            "projects.count",
            _("Key projects"),
            data["count"],
            unit=_("projects"),
            url=url(),
            how=_("Key projects of %(year)s") % {"year": year},
        ),
        fig(
            "projects.investment",
            _("Total investment"),
            yi,
            unit=_("100M yuan"),
            url=url(),
            how=_("Sum of the planned total investment of %(n)s projects") % {"n": data["count"]},
        ),
        *[
            fig(
                f"projects.{light}",
                label,
                data["light"].get(light, 0),
                unit=_("projects"),
                url=url(light=light),
                how=_("Projects whose light is %(light)s (progress against the plan)")
                % {"light": label},
            )
            for light, label in lights
        ],
    ]
    for d in data["demolition"]:
        items.append(
            fig(
                f"projects.demolition.{d['pk']}",
                d["name"],
                d["actual"],
                unit="%",
                url=_reverse("development:project_detail", (d["pk"],)),
                how=_("Quantity done ÷ planned, from the approved monthly reports"),
            )
        )
    for use, mu in data["land_mu"].items():
        items.append(
            fig(
                f"projects.land.{use}",
                _("%(use)s land supplied") % {"use": land.get(use, use)},
                mu,
                unit=_("mu"),
                url=url(kind="land"),
                how=_("Sum of the approved reports of land parcels"),
            )
        )
    if data["kind"].get("road"):
        items.append(
            fig(
                "projects.roads",
                _("Road projects"),
                data["kind"]["road"],
                unit=_("projects"),
                url=url(kind="road"),
                how=_("Key projects of the kind road project"),
            )
        )
    return {
        "title": _("Key projects"),
        "year": year,
        "figures": items,
        "lights": {light: data["light"].get(light, 0) for light, _l in lights},
        "light_names": {light: str(label) for light, label in lights},
        "stages": [
            {"code": s, "name": str(stages[s]), "n": data["stage"].get(s, 0), "url": url(stage=s)}
            for s in STAGE_ORDER
        ],
        "industries": [
            {
                "code": k,
                "name": str(industries[k]),
                "n": data["industry"].get(k, 0),
                "url": url(industry=k),
            }
            for k in Industry.values
            if data["industry"].get(k)
        ],
        "red": [
            {**r, "url": _reverse("development:project_detail", (r["pk"],))} for r in data["red"]
        ],
        "red_url": url(light="red"),
        "children": {names.get(k, k): v for k, v in data["children"].items()},
    }


def _indicators(region: Region, data: dict[str, Any]) -> dict[str, Any]:
    rows = data["elements"]
    by_code = {r["code"]: r for r in rows}
    head = [by_code[c] for c in HEADLINE if c in by_code] or rows[:4]
    gdp = data.get("gdp")
    if gdp is not None:
        rest = _("Other sectors")
        gdp = {**gdp, "rows": [{**r, "name": r["name"] or rest} for r in gdp["rows"]]}
    pulls = {r["code"]: r for r in (gdp or {}).get("rows", [])}

    def element(r: dict[str, Any]) -> dict[str, Any]:
        url = _url("development:element_detail", args=[r["id"]], region=region.code)
        how = _("Approved value for %(period)s") % {"period": r["period"]}
        if r["previous"] is not None:
            how += _("; same period last year %(v)s") % {"v": r["previous"]}
        if r["missing"]:
            how += _("; missing: %(m)s") % {"m": ", ".join(r["missing"])}
        out = {
            **r,
            "figure": fig(
                f"indicators.{r['code']}", r["name"], r["value"], unit=r["unit"], url=url, how=how
            ),
        }
        pull = pulls.get(r["code"])
        if pull is not None and gdp is not None:
            out["pull"] = fig(
                f"indicators.{r['code']}.pull",
                _("Pull to GDP growth"),
                pull["pull"],
                unit=_("points"),
                url=_url("development:contributions", region=region.code),
                how=_("Increase ÷ last year's GDP × 100, %(period)s; contribution rate %(rate)s%%")
                % {"period": gdp["period"], "rate": pull["rate"]},
            )
        return out

    return {
        "title": _("Indicators"),
        "headline": [element(r) for r in head],
        "rows": [element(r) for r in rows],
        "gdp": gdp,
        "list_url": _url("development:indicator_list", region=region.code),
    }


def _evaluation(region: Region, data: dict[str, Any], names: dict[int, str]) -> dict[str, Any]:
    """The latest published arena's ranking and the year's standings and echelon counts, each
    linking to the evaluation page it comes from."""
    out: dict[str, Any] = {"title": _("Street evaluation"), "figures": [], "arena": None}
    arena = data.get("arena")
    if arena is not None:
        url = _reverse("evaluation:round", (arena["pk"],))
        rows = [
            {
                **r,
                "name": names.get(r["region"], ""),
                "figure": fig(
                    f"evaluation.arena.{r['region']}",
                    names.get(r["region"], ""),
                    r["rank"],
                    url=url,
                    how=_(
                        "Rank %(rank)s of %(n)s in the published round %(round)s (%(day)s), "
                        "total %(total)s"
                    )
                    % {
                        "rank": r["rank"],
                        "n": arena["entrants"],
                        "round": arena["title"],
                        "day": arena["held_on"],
                        "total": r["total"],
                    },
                ),
            }
            for r in arena["rows"]
        ]
        out["arena"] = {**arena, "url": url, "rows": rows}
        out["figures"] += [r["figure"] for r in rows]
    standing = data.get("standings")
    out["standings"] = None
    if standing is not None:
        url = _reverse("evaluation:standings", (standing["cycle"],))
        rows = [
            {
                **r,
                "name": names.get(r["region"], ""),
                "figure": fig(
                    f"evaluation.standing.{r['region']}",
                    names.get(r["region"], ""),
                    r["rank"],
                    url=url,
                    how=_(
                        "Rank %(rank)s of %(n)s streets in the annual standings of %(year)s, "
                        "total %(total)s"
                    )
                    % {
                        "rank": r["rank"],
                        "n": standing["streets"],
                        "year": standing["year"],
                        "total": r["total"],
                    },
                ),
            }
            for r in standing["rows"]
        ]
        tiers = [
            fig(
                f"evaluation.tier.{t}",
                str(label),
                standing["tiers"].get(t, 0),
                unit=_("communities"),
                url=url,
                how=_("Communities in %(region)s in the echelon tier %(tier)s, %(year)s")
                % {"region": region, "tier": label, "year": standing["year"]},
            )
            for t, label in Standing.Tier.choices
        ]
        out["standings"] = {**standing, "url": url, "rows": rows, "tiers": tiers}
        out["figures"] += tiers + [r["figure"] for r in rows]
    return out


POLICY_COLUMNS = [
    ("matched", "tracking"),
    ("pushes", "push"),
    ("applications", "kpi"),
    ("approved", "kpi"),
    ("approved_fen", "kpi"),
    ("granted_fen", "kpi"),
]


def _policies(region: Region, data: dict[str, Any]) -> dict[str, Any]:
    """Per policy mode: matches met, pushes, applications, approvals and the amounts approved
    and granted (yuan), each linking to the policy KPI page it comes from."""
    start, end = data["start"], data["end"]
    period = f"{start} – {end}"
    kpi_url = _url("policies:kpi", by="street", start=start, end=end)
    push_url = _reverse("policies:push_kpi", ())
    labels = {
        "matched": _("Matched"),
        "pushes": _("Pushes"),
        "applications": _("Applications"),
        "approved": _("Approved"),
        "approved_fen": _("Approved (yuan)"),
        "granted_fen": _("Granted (yuan)"),
    }
    hows = {
        "matched": _("Subjects in %(region)s that currently meet a policy of this mode"),
        "pushes": _("Policies of this mode pushed to subjects in %(region)s, %(period)s"),
        "applications": _("Applications submitted in %(region)s, %(period)s"),
        "approved": _("Applications approved in %(region)s, %(period)s"),
        "approved_fen": _("Sum of the approved amounts in %(region)s, %(period)s"),
        "granted_fen": _(
            "Sum of the live grants confirmed in %(region)s, %(period)s (%(n)s grants)"
        ),
    }
    rows, figures = [], []
    for mode, name in Mode.choices:
        counts = data["modes"].get(mode, {})
        cells = []
        for key, page in POLICY_COLUMNS:
            value = counts.get(key, 0)
            if key.endswith("_fen"):
                value = round(value / 100, 2)
            cell = fig(
                f"policies.{mode}.{key}",
                f"{name} · {labels[key]}",
                value,
                unit=_("yuan") if key.endswith("_fen") else "",
                url=push_url if page == "push" else kpi_url,
                how=hows[key] % {"region": region, "period": period, "n": counts.get("grants", 0)},
            )
            cells.append(cell)
        figures += cells
        rows.append({"mode": mode, "name": str(name), "cells": cells})
    return {
        "title": _("Policies"),
        "period": period,
        "columns": [str(labels[k]) for k, _p in POLICY_COLUMNS],
        "rows": rows,
        "figures": figures,
        "url": kpi_url,
    }


def _map(data: dict[str, Any], shown: dict[str, Any]) -> dict[str, Any]:
    homes = {c["code"]: c for c in shown.get("households", {}).get("children", [])}
    plans = shown.get("projects_raw", {}).get("children", {})
    features = []
    for f in data["features"]:
        stats: dict[str, Any] = {}
        if f["code"] in homes:
            h = homes[f["code"]]
            stats.update(red=h["red"], households=h["total"])
        if f["code"] in plans:
            stats.update(projects=plans[f["code"]]["n"], red_projects=plans[f["code"]]["red"])
        features.append({**f, "stats": stats})
    return {
        "features": features,
        "schematic": any(f["schematic"] for f in features),
        "words": {
            "schematic": _("Dashed: schematic outlines drawn from the positions"),
            "households": _("Households"),
            "red": _("Red households"),
            "projects": _("Key projects"),
            "red_projects": _("Red projects"),
        },
    }


def cockpit(user: Viewer, region: Region) -> dict[str, Any]:
    """The cockpit of ``region`` as ``user`` may read it (``region`` must be one of
    ``access.cockpit_regions``): two queries, the tiles and the children's names."""
    allowed = sections_for(user, region)
    tiles = {t.section: t for t in CockpitTile.objects.filter(region=region, section__in=allowed)}
    children = list(region.children.values_list("pk", "code", "name"))
    names = {code: name for _pk, code, name in children}
    ids = {pk: name for pk, _code, name in children}
    ids[region.pk] = region.name
    raw = {s: t.data for s, t in tiles.items()}
    sections: dict[str, Any] = {}
    if Section.HOUSEHOLDS in raw:
        sections["households"] = _households(region, raw[Section.HOUSEHOLDS], names)
    if Section.TICKETS in raw:
        sections["tickets"] = _tickets(region, raw[Section.TICKETS])
    if Section.TALENT in raw:
        sections["talent"] = _talent(region, raw[Section.TALENT])
    if Section.PROJECTS in raw:
        sections["projects"] = _projects(region, raw[Section.PROJECTS], names)
    if Section.INDICATORS in raw:
        sections["indicators"] = _indicators(region, raw[Section.INDICATORS])
    if Section.EVALUATION in raw:
        sections["evaluation"] = _evaluation(region, raw[Section.EVALUATION], ids)
    if Section.POLICIES in raw:
        sections["policies"] = _policies(region, raw[Section.POLICIES])
    if Section.MAP in raw:
        shown = {**sections, "projects_raw": raw.get(Section.PROJECTS, {})}
        if "households" in shown:
            shown["households"] = raw[Section.HOUSEHOLDS]
        sections["map"] = _map(raw[Section.MAP], shown)
    computed: list[datetime] = [t.computed_at for t in tiles.values()]
    as_of = timezone.localtime(min(computed)) if computed else None
    return {
        "region": {"code": region.code, "name": region.name, "level": region.level},
        "as_of": as_of.isoformat(timespec="minutes") if as_of else None,
        "as_of_text": as_of.strftime("%Y-%m-%d %H:%M") if as_of else "",
        "sections": sections,
        "missing": [s for s in allowed if s not in tiles],
    }
