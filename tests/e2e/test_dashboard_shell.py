"""The dashboard's shell (/dashboard) in real headless Chromium, as a person uses it: the local sign-in
(marked development only) showing who is signed in; an Admin creates an organization and a project,
creates an API key (shown once, copied with the button, listed masked afterwards, revoked), invites a
Member, changes roles (and is told in words when the last Admin would be demoted); a Member sees no
API keys, members, settings or billing, and where they reach one by URL the refusal is the API's own
words.

Everything is checked against the API as well (what the page shows is what /manage answers).
Screenshots of each page go to ``artifacts_dir`` (dashboard-shell-*.png)."""

from __future__ import annotations

import re
from pathlib import Path

import requests
from playwright.sync_api import Browser, Page, expect

from tests.management.manage_client import Caller, fresh_email

ADMIN_NAV = ("nav-members", "nav-billing", "nav-settings")


def _shot(page: Page, directory: Path, name: str) -> None:
    page.screenshot(path=str(directory / f"dashboard-shell-{name}.png"), full_page=True)


def _open(chromium: Browser, platform) -> Page:
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=platform.url(""))
    page = context.new_page()
    page.goto(platform.url("/dashboard"))
    return page


def _sign_in(page: Page, email: str, name: str) -> None:
    expect(page.get_by_test_id("local-badge")).to_have_text("Local sign-in (development only)")
    page.get_by_test_id("local-email").fill(email)
    page.get_by_test_id("local-name").fill(name)
    page.get_by_test_id("local-submit").click()
    expect(page.get_by_test_id("who-name")).to_have_text(name)
    expect(page.get_by_test_id("who-email")).to_have_text(email.lower())


def _rows(page: Page, list_id: str):
    return page.get_by_test_id(f"{list_id}-row")


def test_the_app_serves_the_dashboard_and_answers_its_own_paths_with_the_page(platform):
    page = requests.get(platform.url("/dashboard"), timeout=30)
    assert page.status_code == 200, page.text
    assert page.headers["Content-Type"].startswith("text/html")
    assert '<div id="app">' in page.text
    deep = requests.get(platform.url("/dashboard/orgs/org_x/projects/proj_y/api-keys"), timeout=30)
    assert deep.status_code == 200 and deep.text == page.text  # the router reads the path
    script = re.search(r'src="(/dashboard/assets/[^"]+\.js)"', page.text)
    assert script, page.text
    asset = requests.get(platform.url(script.group(1)), timeout=30)
    assert asset.status_code == 200 and asset.headers["Content-Type"].startswith("text/javascript")
    missing = requests.get(platform.url("/dashboard/assets/missing.js"), timeout=30)
    assert missing.status_code == 404  # a file that is not there is not the page


def test_an_admin_creates_an_organization_a_project_and_a_key_and_manages_members(
    platform, user_token, chromium, artifacts_dir
):
    admin_email, member_email, other_email = fresh_email("ada"), fresh_email("max"), fresh_email("olga")
    admin = Caller(platform, user_token(admin_email))
    page = _open(chromium, platform)
    _shot(page, artifacts_dir, "01-sign-in")
    _sign_in(page, admin_email, "Ada Admin")
    expect(page.get_by_test_id("organizations-empty")).to_be_visible()
    _shot(page, artifacts_dir, "02-organizations")

    # An organization: its creator is its Admin, and sees the Admin-only navigation.
    page.get_by_test_id("organization-name").fill("Bistro Nine")
    page.get_by_test_id("create-organization-submit").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Projects of Bistro Nine")
    expect(page.get_by_test_id("role")).to_have_text("Your role: Admin")
    for entry in ADMIN_NAV:
        expect(page.get_by_test_id(entry)).to_be_visible()
    [organization] = admin.ok("GET", "/manage/organizations")["items"]
    assert (organization["name"], organization["role"]) == ("Bistro Nine", "admin")
    org = organization["id"]

    # A project.
    page.get_by_test_id("new-project").click()
    page.get_by_test_id("project-name").fill("Production")
    page.get_by_test_id("project-description").fill("The live website")
    _shot(page, artifacts_dir, "03-new-project")
    page.get_by_test_id("create-project-submit").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Production")
    [project] = admin.ok("GET", f"/manage/organizations/{org}/projects")["items"]
    assert (project["name"], project["description"]) == ("Production", "The live website")
    expect(page.get_by_test_id("project-id")).to_have_text(project["id"])
    _shot(page, artifacts_dir, "04-project")

    # An API key: a refused form keeps what was typed, and says why beside it.
    page.get_by_test_id("nav-api-keys").click()
    expect(page.get_by_test_id("keys-empty")).to_be_visible()
    page.get_by_test_id("key-name").fill("Website")
    page.get_by_test_id("provider-azure-openai").check()
    page.get_by_test_id("provider-field-endpoint").fill("http://bistro.openai.azure.com/")
    page.get_by_test_id("provider-field-deployment").fill("gpt-4o")
    page.get_by_test_id("create-key-submit").click()
    expect(page.get_by_test_id("provider-error-endpoint")).to_contain_text("https")
    expect(page.get_by_test_id("key-name")).to_have_value("Website")
    expect(page.get_by_test_id("provider-field-deployment")).to_have_value("gpt-4o")
    _shot(page, artifacts_dir, "05-key-refused")

    # ... then an OpenAI-compatible key: shown once, copied with the button.
    page.get_by_test_id("provider-openai-compatible").check()
    page.get_by_test_id("provider-field-baseUrl").fill("https://api.openai.com/v1")
    page.get_by_test_id("provider-field-model").fill("gpt-4o-mini")
    page.get_by_test_id("provider-field-apiKey").fill("sk-provider-secret-typed-once")
    page.get_by_test_id("create-key-submit").click()
    shown = page.get_by_test_id("created-key-value")
    expect(shown).to_have_value(re.compile(r"^oa\.proj_\w+\.key_\w+\..+"))
    key = shown.input_value()
    page.get_by_test_id("copy-key").click()
    expect(page.get_by_test_id("copy-result")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == key
    _shot(page, artifacts_dir, "06-key-shown-once")
    assert (
        requests.get(platform.url("/public/companions"), headers={"X-Api-Key": key}, timeout=30).status_code
        == 200
    )

    # Listed masked afterwards: the key and the provider's secret are nowhere on the page.
    page.get_by_test_id("created-key-done").click()
    expect(page.get_by_test_id("created-key")).to_have_count(0)
    expect(_rows(page, "keys")).to_have_count(1)
    expect(page.get_by_test_id("key-row-name")).to_have_text("Website")
    expect(page.get_by_test_id("key-masked")).to_have_text(f"••••••••••••{key[-4:]}")
    expect(page.get_by_test_id("key-provider")).to_contain_text("OpenAI-compatible API")
    page.reload()
    expect(_rows(page, "keys")).to_have_count(1)
    assert key not in page.content() and "sk-provider-secret-typed-once" not in page.content()
    _shot(page, artifacts_dir, "07-keys-masked")

    # Revoked: gone from the list, refused by /public.
    page.get_by_test_id("revoke-key").click()
    page.get_by_test_id("revoke-confirm").click()
    expect(page.get_by_test_id("keys-empty")).to_be_visible()
    assert (
        requests.get(platform.url("/public/companions"), headers={"X-Api-Key": key}, timeout=30).status_code
        == 401
    )
    assert admin.ok("GET", f"/manage/projects/{project['id']}/api-keys")["totalCount"] == 0

    # Members: invite a Member and an Admin, change a role, remove one.
    page.get_by_test_id("nav-members").click()
    expect(_rows(page, "members")).to_have_count(1)  # the creator
    page.get_by_test_id("invite-email").fill(member_email)
    page.get_by_test_id("invite-role").select_option("member")
    page.get_by_test_id("invite-submit").click()
    expect(page.get_by_test_id("invite-done")).to_contain_text("invited as Member")
    page.get_by_test_id("invite-email").fill(other_email)
    page.get_by_test_id("invite-role").select_option("admin")
    page.get_by_test_id("invite-submit").click()
    expect(_rows(page, "members")).to_have_count(3)

    def row_of(email: str):
        return _rows(page, "members").filter(
            has=page.get_by_test_id("member-email").get_by_text(email.lower())
        )

    expect(row_of(member_email).get_by_test_id("member-role")).to_have_value("member")
    row_of(member_email).get_by_test_id("member-role").select_option("admin")
    expect(row_of(member_email).get_by_test_id("member-role")).to_have_value("admin")
    _shot(page, artifacts_dir, "08-members")

    def roles() -> dict[str, str]:
        members = admin.ok("GET", f"/manage/organizations/{org}/members")["items"]
        return {m["email"]: m["role"] for m in members}

    assert roles() == {
        admin_email.lower(): "admin",
        member_email.lower(): "admin",
        other_email.lower(): "admin",
    }
    row_of(member_email).get_by_test_id("member-role").select_option("member")
    expect(row_of(member_email).get_by_test_id("member-role")).to_have_value("member")
    row_of(other_email).get_by_test_id("member-remove").click()
    row_of(other_email).get_by_test_id("member-remove-confirm").click()
    expect(_rows(page, "members")).to_have_count(2)
    assert roles() == {admin_email.lower(): "admin", member_email.lower(): "member"}

    # The last Admin cannot step down: the API's words beside the control, the role unchanged.
    row_of(admin_email).get_by_test_id("member-role").select_option("member")
    expect(row_of(admin_email).get_by_test_id("member-role-error")).to_contain_text("LastAdmin")
    expect(row_of(admin_email).get_by_test_id("member-role")).to_have_value("admin")
    assert roles()[admin_email.lower()] == "admin"

    # Settings and billing are there for an Admin.
    page.get_by_test_id("nav-settings").click()
    expect(page.get_by_test_id("organization-id")).to_have_text(org)
    expect(page.get_by_test_id("sign-in-mode")).to_contain_text("development sign-in")
    _shot(page, artifacts_dir, "09-settings")
    page.get_by_test_id("nav-billing").click()
    expect(page.get_by_test_id("price-byo_llm_minutes")).to_have_text("$0.01 per active minute")
    expect(page.get_by_test_id("price-hosted_llm_minutes")).to_be_visible()
    _shot(page, artifacts_dir, "10-billing")

    # Editing and deleting the project.
    page.get_by_test_id("switch-project").select_option(project["id"])
    page.get_by_test_id("edit-project").click()
    page.get_by_test_id("project-name").fill("Staging")
    page.get_by_test_id("save-project").click()
    expect(page.get_by_test_id("project-saved")).to_be_visible()
    assert admin.ok("GET", f"/manage/projects/{project['id']}")["name"] == "Staging"
    expect(page.get_by_test_id("delete-project")).to_be_disabled()
    page.get_by_test_id("delete-project-confirm").fill("Staging")
    page.get_by_test_id("delete-project").click()
    expect(page.get_by_test_id("projects-empty")).to_be_visible()
    assert admin.ok("GET", f"/manage/organizations/{org}/projects")["totalCount"] == 0

    page.get_by_test_id("sign-out").click()
    expect(page.get_by_test_id("local-sign-in")).to_be_visible()


def test_a_member_sees_no_keys_members_settings_or_billing_and_is_told_why_when_reaching_them(
    platform, user_token, chromium, artifacts_dir
):
    admin_email, member_email = fresh_email("ada"), fresh_email("max")
    admin = Caller(platform, user_token(admin_email))
    org = admin.ok("POST", "/manage/organizations", 201, json={"name": "Bistro Nine"})["id"]
    admin.ok(
        "POST", f"/manage/organizations/{org}/members", 201, json={"email": member_email, "role": "member"}
    )
    project = admin.ok("POST", f"/manage/organizations/{org}/projects", 201, json={"name": "Production"})[
        "id"
    ]
    member = Caller(platform, user_token(member_email))

    page = _open(chromium, platform)
    _sign_in(page, member_email, "Max Member")
    page.get_by_test_id("organization-link").click()
    expect(page.get_by_test_id("role")).to_have_text("Your role: Member")
    expect(page.get_by_test_id("nav-projects")).to_be_visible()
    for entry in ADMIN_NAV:
        expect(page.get_by_test_id(entry)).to_have_count(0)
    expect(page.get_by_test_id("new-project")).to_have_count(0)
    expect(page.get_by_test_id("member-projects-note")).to_be_visible()
    expect(page.get_by_test_id("edit-project")).to_have_count(0)
    _shot(page, artifacts_dir, "11-member-projects")
    page.get_by_test_id("project-link").click()
    expect(page.get_by_test_id("page-title")).to_have_text("Production")
    expect(page.get_by_test_id("nav-overview")).to_be_visible()
    expect(page.get_by_test_id("nav-api-keys")).to_have_count(0)
    expect(page.get_by_test_id("edit-project")).to_have_count(0)
    _shot(page, artifacts_dir, "12-member-project")

    # Reached by URL anyway: the API's own 403 words.
    refused_keys = member.call("GET", f"/manage/projects/{project}/api-keys")
    assert refused_keys.status_code == 403
    page.goto(platform.url(f"/dashboard/orgs/{org}/projects/{project}/api-keys"))
    expect(page.get_by_test_id("refused-words")).to_have_text(refused_keys.json()["description"])
    expect(page.get_by_test_id("refused-words")).to_contain_text("does not allow you to manage API keys")
    _shot(page, artifacts_dir, "13-member-refused-keys")

    refused_members = member.call("GET", f"/manage/organizations/{org}/members")
    assert refused_members.status_code == 403
    page.goto(platform.url(f"/dashboard/orgs/{org}/members"))
    expect(page.get_by_test_id("refused-words")).to_have_text(refused_members.json()["description"])

    refused_project = member.call("POST", f"/manage/organizations/{org}/projects", json={"name": "Mine"})
    assert refused_project.status_code == 403
    page.goto(platform.url(f"/dashboard/orgs/{org}/projects/new"))
    expect(page.get_by_test_id("refused-words")).to_have_text(refused_project.json()["description"])
    page.goto(platform.url(f"/dashboard/orgs/{org}/projects/{project}/edit"))
    expect(page.get_by_test_id("refused-words")).to_have_text(refused_project.json()["description"])
    expect(page.get_by_test_id("delete-project")).to_have_count(0)

    # Settings has no API to refuse a Member: the words of the role matrix; billing: the API's own.
    for path, action in (
        ("settings", "change settings"),
        ("billing", "view the organization's billing and usage"),
    ):
        page.goto(platform.url(f"/dashboard/orgs/{org}/{path}"))
        expect(page.get_by_test_id("refused-words")).to_have_text(
            f"Your role in this organization (member) does not allow you to {action}: "
            "that needs the Admin role."
        )
    _shot(page, artifacts_dir, "14-member-refused-billing")
    assert admin.ok("GET", f"/manage/organizations/{org}/projects")["totalCount"] == 1
