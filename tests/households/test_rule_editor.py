"""The form editor of the traffic-light rules: the YAML and the form are one exchange format,
drafts edited through the form are saved by the rules services, published and used."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client
from django.utils import timezone

from gridlight.core.models import AuditEvent
from gridlight.households.models import Household
from gridlight.households.services import MemberInput, household_register
from gridlight.rules import editor as ed
from gridlight.rules.models import RuleSetVersion
from tests.conftest import World, login
from tests.households.test_pages import _id_aged
from tests.test_browser import ARTIFACTS, browser  # noqa: F401 - the fixture

SRC = Path(__file__).resolve().parents[2] / "src" / "gridlight"
DEMO_RULE_SETS = sorted(SRC.glob("*/rules/*.yaml"))


def canonical(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition with what means nothing removed: a test value that is null is the same as
    one not given, no grades the same as an empty mapping, tags and the rules expected to fire
    are sets (the engine compares them as such), and a date is its ISO text."""
    out = dict(definition)
    tests = []
    for case in definition.get("tests") or []:
        case = dict(case)
        case["as_of"] = str(case["as_of"])
        values = {k: v for k, v in (case.get("values") or {}).items() if v is not None}
        values["tags"] = sorted(values.get("tags") or [])
        if case.get("fired") is not None:
            case["fired"] = sorted(case["fired"])
        if not values.get("grades"):
            values.pop("grades", None)
        case["values"] = values
        tests.append(case)
    if tests:
        out["tests"] = tests
    return out


def demo(path: Path) -> dict[str, Any]:
    return canonical(yaml.safe_load(path.read_text(encoding="utf-8")))


class FormFields(HTMLParser):
    """What a browser submits for one form of a page: its fields in document order."""

    def __init__(self, testid: str) -> None:
        super().__init__()
        self.testid, self.inside, self.fields = testid, False, []  # type: ignore[var-annotated]
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("data-testid") == self.testid
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") == "checkbox" and "checked" not in a:
                return
            default = "on" if a.get("type") == "checkbox" else ""
            self.fields.append((a["name"], a.get("value") or default))
        elif tag == "select":
            self.select = a.get("name")
        elif tag == "option" and self.select and "selected" in a:
            self.fields.append((self.select, a.get("value") or ""))
        elif tag == "textarea":
            self.textarea = a.get("name")
            self.fields.append((self.textarea, ""))

    def handle_data(self, data: str) -> None:
        if self.inside and self.textarea:
            self.fields[-1] = (self.textarea, self.fields[-1][1] + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def form_fields(client: Client, draft: RuleSetVersion) -> list[tuple[str, str]]:
    page = client.get(f"/households/rules/{draft.pk}/")
    assert page.status_code == 200
    parser = FormFields("rule-editor")
    parser.feed(page.content.decode())
    assert parser.fields, "the form editor is on the page"
    return parser.fields


def post(client: Client, draft: RuleSetVersion, fields: list[tuple[str, str]]) -> Any:
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return client.post(f"/households/rules/{draft.pk}/", data)


def new_draft(world: World, definition: dict[str, Any] | None = None) -> RuleSetVersion:
    admin = login(world.users["district_admin"])
    admin.post("/households/rules/draft/")
    draft = RuleSetVersion.objects.get(status="draft")
    if definition is not None:
        RuleSetVersion.objects.filter(pk=draft.pk).update(definition=definition)
        draft.refresh_from_db()
    return draft


# --- YAML ⇄ form ------------------------------------------------------------------------------


def test_there_is_a_demo_rule_set() -> None:
    assert DEMO_RULE_SETS


@pytest.mark.parametrize("path", DEMO_RULE_SETS, ids=lambda p: p.stem)
def test_demo_rule_set_survives_editor_and_back(path: Path) -> None:
    definition = demo(path)
    back, problems = ed.to_definition(ed.from_definition(definition))
    assert problems == []
    assert back == definition


@pytest.mark.parametrize(
    "when",
    [
        {"not": {"has_tag": "a"}},
        {"not": {"not": {"has_tag": "a"}}},
        {"not": {"any_of": [{"has_tag": "a"}, {"age_at_least": 3}]}},
        {"any_of": [{"all_of": [{"has_tag": "a"}, {"not": {"cel": "age > 3"}}]}, {"has_tag": "b"}]},
        {"grade_at_most": {"attribute": "disability", "grade": 2}},
    ],
)
def test_nested_conditions_survive_editor_and_back(when: dict[str, Any]) -> None:
    definition = {
        "outcomes": ["red", "green"],
        "default": "green",
        "rules": [{"code": "x", "outcome": "red", "label": "某规则", "when": when}],
    }
    assert ed.to_definition(ed.from_definition(definition)) == (definition, [])


@pytest.mark.django_db
@pytest.mark.parametrize("path", DEMO_RULE_SETS, ids=lambda p: p.stem)
def test_demo_rule_set_survives_the_rendered_form_and_back(world: World, path: Path) -> None:
    """Through the page as a browser submits it: the saved draft means what the YAML says."""
    draft = new_draft(world, demo(path))
    admin = login(world.users["district_admin"])
    response = post(admin, draft, form_fields(admin, draft))
    assert response.status_code == 302, response.content.decode().split("<main")[-1][:3000]
    draft.refresh_from_db()
    assert draft.definition == demo(path)
    assert draft.edit_version == 2


# --- editing a draft through the form ---------------------------------------------------------


def _node_with_value(fields: list[tuple[str, str]], value: str) -> str:
    names = [n for n, v in fields if n.endswith("-value") and v == value]
    assert len(names) == 1, names
    return names[0]


def test_a_draft_edited_in_the_form_is_published_and_classifies(world: World) -> None:
    admin_user = world.users["district_admin"]
    admin = login(admin_user)
    h77 = household_register(
        actor=admin_user,
        grid=world.open_grid,
        code="AGE-77",
        address="长寿路1号",
        attributes=["living_alone"],
        members=[MemberInput(name="七十七", id_number=_id_aged(77))],
    )
    assert h77.light == "yellow"
    draft = new_draft(world)
    fields = form_fields(admin, draft)
    age_field = _node_with_value(fields, "80")  # the red rule for the aged living alone
    fields = [(n, "75" if n == age_field else v) for n, v in fields]
    # The case of a 79-year-old living alone now expects red: drop it from the form.
    case = next(v for n, v in fields if n.endswith("-name") and v.startswith("a 79-year-old"))
    token = next(n for n, v in fields if v == case).split("-")[1]
    fields = [(n, v) for n, v in fields if f"-{token}-" not in n and v != token]
    fields = [(n, "75岁起" if n == "note" else v) for n, v in fields]
    response = post(admin, draft, fields)
    assert response.status_code == 302, response.content.decode().split("<main")[-1][:3000]
    draft.refresh_from_db()
    assert draft.definition["rules"][0]["when"] == {
        "all_of": [{"age_at_least": 75}, {"has_tag": "living_alone"}]
    }
    assert draft.note == "75岁起"
    assert not any("79-year-old" in t["name"] for t in draft.definition["tests"])
    assert AuditEvent.objects.filter(action="rules.edit", object_id=str(draft.pk)).count() == 1

    published = admin.post(
        f"/households/rules/{draft.pk}/publish/",
        {"effective_from": timezone.localdate().isoformat()},
    )
    assert published.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "published"
    admin.post("/households/rules/recompute/")
    assert Household.objects.get(pk=h77.pk).light == "red"
    assert Household.objects.get(pk=world.open_household.pk).light == "green"


def test_a_chinese_test_case_added_in_the_form_runs_on_publish(world: World) -> None:
    admin = login(world.users["district_admin"])
    draft = new_draft(world)
    fields = form_fields(admin, draft)
    fields += [
        ("case", "zz1"),
        ("case-zz1-name", "九十岁独居老人为红灯"),
        ("case-zz1-as_of", "2026-06-30"),
        ("case-zz1-age", "90"),
        ("case-zz1-member_count", "1"),
        ("case-zz1-tags", "living_alone"),
        ("case-zz1-expect", "green"),  # wrong on purpose: publishing must refuse it
    ]
    assert post(admin, draft, fields).status_code == 302
    draft.refresh_from_db()
    assert draft.definition["tests"][-1]["name"] == "九十岁独居老人为红灯"
    admin.post(
        f"/households/rules/{draft.pk}/publish/",
        {"effective_from": timezone.localdate().isoformat()},
    )
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_an_incomplete_condition_is_shown_again_and_nothing_is_saved(world: World) -> None:
    admin = login(world.users["district_admin"])
    draft = new_draft(world)
    before = draft.definition
    fields = form_fields(admin, draft)
    tag_field = _node_with_value(fields, "family_dispute")
    fields = [(n, "" if n == tag_field else v) for n, v in fields]
    response = post(admin, draft, fields)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="condition-error"' in page
    assert 'data-testid="editor-errors"' in page
    draft.refresh_from_db()
    assert draft.definition == before
    assert draft.edit_version == 1


def test_a_cel_condition_is_checked_on_save(world: World, english: None) -> None:
    admin = login(world.users["district_admin"])
    draft = new_draft(world)
    fields = form_fields(admin, draft)
    tag_field = _node_with_value(fields, "family_dispute")
    token = tag_field.split("-")[1]
    fields = [
        (n, "cel" if n == f"node-{token}-kind" else "salary > 3" if n == tag_field else v)
        for n, v in fields
    ]
    response = post(admin, draft, fields)
    assert response.status_code == 400
    assert "salary" in response.content.decode()
    draft.refresh_from_db()
    assert draft.edit_version == 1

    fields = [
        (n, "age >= 60 && 'family_dispute' in tags" if n == tag_field else v) for n, v in fields
    ]
    assert post(admin, draft, fields).status_code == 302
    draft.refresh_from_db()
    cel_rule = next(r for r in draft.definition["rules"] if r["code"] == "family_dispute")
    assert cel_rule["when"] == {"cel": "age >= 60 && 'family_dispute' in tags"}


def test_a_stale_form_is_a_conflict(world: World) -> None:
    admin = login(world.users["district_admin"])
    draft = new_draft(world)
    fields = form_fields(admin, draft)
    assert post(admin, draft, fields).status_code == 302
    assert post(admin, draft, fields).status_code == 409


# --- the rows htmx adds -----------------------------------------------------------------------


def test_new_rows_come_with_the_chinese_catalogue_labels(world: World) -> None:
    admin = login(world.users["district_admin"])
    draft = new_draft(world)
    row = admin.get(f"/households/rules/{draft.pk}/editor/node/?parent=abc&kind=has_tag")
    assert row.status_code == 200
    html = row.content.decode()
    assert 'name="node-' in html
    assert 'value="abc"' in html
    assert "具有属性" in html
    assert "独居" in html
    swapped = admin.get(
        f"/households/rules/{draft.pk}/editor/node/",
        {"token": "t1", "parent": "abc", "node-t1-kind": "age_at_least"},
    ).content.decode()
    assert 'id="node-t1"' in swapped
    assert 'type="number"' in swapped
    assert admin.get(f"/households/rules/{draft.pk}/editor/rule/?outcome=red").status_code == 200
    assert admin.get(f"/households/rules/{draft.pk}/editor/case/").status_code == 200


def test_rows_are_only_for_drafts_and_their_managers(world: World) -> None:
    draft = new_draft(world)
    url = f"/households/rules/{draft.pk}/editor/node/?parent=abc&kind=has_tag"
    assert login(world.twins["district_admin"]).get(url).status_code == 403
    assert login(world.users["street_staff"]).get(url).status_code == 403
    published = RuleSetVersion.objects.get(status="published")
    admin = login(world.users["district_admin"])
    assert (
        admin.get(f"/households/rules/{published.pk}/editor/node/?kind=has_tag").status_code == 404
    )


# --- in the browser ---------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_official_adds_a_condition_in_the_browser(
    world: World,
    live_server: Any,
    browser: Any,  # noqa: F811
) -> None:
    from django.conf import settings

    draft = new_draft(world)
    client = login(world.users["district_admin"])
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    cookie = settings.SESSION_COOKIE_NAME
    context.add_cookies(
        [{"name": cookie, "value": client.cookies[cookie].value, "url": live_server.url}]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/households/rules/{draft.pk}/")
    rule = page.locator("[data-testid=rule][data-code=aged_80_alone]")
    assert "最年长成员年龄不低于" in rule.inner_text()  # the catalogue's label, in Chinese
    before = rule.locator("[data-testid=condition]").count()
    rule.locator("[data-testid=add-condition]").first.click()
    page.wait_for_function(
        "n => document.querySelectorAll("
        "'[data-code=aged_80_alone] [data-testid=condition]').length > n",
        arg=before,
    )
    added = rule.locator("[data-testid=condition]").last
    # Pick another kind of condition: htmx swaps in its number field.
    with page.expect_response(lambda r: r.request.method in ("GET", "POST") and "rules" in r.url):
        added.locator("[data-testid=condition-kind]").select_option("member_count_at_most")
    # Fill the number only once htmx has swapped the new kind's fields in (filling the old
    # field while the swap is in flight leaves the new one empty).
    page.wait_for_load_state("networkidle")
    rule.locator("[data-testid=condition-number]").last.wait_for()
    rule.locator("[data-testid=condition-number]").last.fill("1")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "rule-editor.png"), full_page=True)
    page.click("[data-testid=save-form]")
    page.wait_for_selector(".alert-success")
    draft.refresh_from_db()
    when = next(r for r in draft.definition["rules"] if r["code"] == "aged_80_alone")["when"]
    assert when == {
        "all_of": [
            {"age_at_least": 80},
            {"has_tag": "living_alone"},
            {"member_count_at_most": 1},
        ]
    }
    assert errors == []
    context.close()


def test_rows_sent_in_a_circle_or_too_deep_are_refused_not_a_crash(world: World) -> None:
    admin = login(world.users["district_admin"])
    draft = new_draft(world)
    base = [
        ("mode", "form"),
        ("edit_version", str(draft.edit_version)),
        ("outcomes", "red"),
        ("outcomes", "green"),
        ("default", "green"),
        ("rule", "r1"),
        ("rule-r1-root", "a"),
        ("rule-r1-outcome", "red"),
        ("rule-r1-label", "环"),
    ]
    circle = [
        ("node", "a"),
        ("node-a-kind", "all_of"),
        ("node-a-parent", "b"),
        ("node", "b"),
        ("node-b-kind", "any_of"),
        ("node-b-parent", "a"),
    ]
    response = post(admin, draft, base + circle)
    assert response.status_code == 400
    deep = []
    for i in range(30):
        deep += [("node", f"d{i}"), (f"node-d{i}-kind", "all_of")]
        deep += [(f"node-d{i}-parent", f"d{i - 1}" if i else "")]
    deep += [("node", "leaf"), ("node-leaf-kind", "has_tag"), ("node-leaf-parent", "d29")]
    deep += [("node-leaf-value", "living_alone")]
    base[6] = ("rule-r1-root", "d0")
    response = post(admin, draft, base + deep)
    assert response.status_code == 400
    assert "8" in response.content.decode().split('data-testid="editor-errors"')[1][:2000]
    draft.refresh_from_db()
    assert draft.edit_version == 1
