"""Staff sign-in through HTTP: the console's cookie session, CSRF, rate limits, /api/token and
the dependencies that guard pages and APIs, on a copy of the seeded demo with its staff and a
clock we control.

The app is console_app.py's, as app/web/main.py builds the console's part: the error handlers, the
console's handlers and sign-in router, its static files, plus a few test routes behind each
dependency.
"""

# No ``from __future__ import annotations``: FastAPI resolves the probe routes' annotations at
# runtime, and their Annotated aliases are local to mount_probe_routes.
import io
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import pytest
from argon2 import PasswordHasher
from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.backoffice.staff import SignInLimits, StaffStore, StaffUser
from app.backoffice.tables import ConsoleSessionRow, StaffRow
from app.cli import staff as staff_cli
from app.db import make_engine
from app.policy_loader import load_policy
from app.settings import Settings
from app.web.console.auth import ConsoleAuth
from app.web.console.templating import render, static_router
from tests.integration.console_app import (
    CSRF,
    PASSWORDS,
    console_app,
    console_parts,
    staffed_template_fixture,  # noqa: F401  (the seeded demo with its staff)
)
from tests.unit.fakes import POLICY_FILE, FakeClock

pytestmark = pytest.mark.integration

OPS_TOKEN = "ops-token-of-the-sign-in-tests"


@dataclass
class Console:
    engine: Engine
    clock: FakeClock
    app: FastAPI
    client: TestClient
    changes: list[str] = field(default_factory=list)

    def login_form(self, client: TestClient | None = None, next: str = "") -> str:
        """Open the sign-in page; returns the form's CSRF token (its cookie is in the jar)."""
        page = (client or self.client).get("/console/login", params={"next": next} if next else {})
        assert page.status_code == 200, page.text
        match = CSRF.search(page.text)
        assert match is not None
        return match.group(1)

    def fresh(self, **options: Any) -> TestClient:
        """Another browser: no cookies."""
        return TestClient(self.app, follow_redirects=False, **options)

    def sign_in(
        self, user: str, password: str | None = None, client: TestClient | None = None, **form: str
    ) -> Any:
        """Sign in through the sign-in page, in a fresh browser unless ``client`` is given."""
        client = client or self.fresh()
        token = self.login_form(client)
        data = {"username": user, "password": password or PASSWORDS[user], "csrf_token": token}
        return client.post("/console/login", data={**data, **form})

    def signed_in(self, user: str) -> str:
        """Sign ``user`` in on the main client; returns the page's CSRF token."""
        assert self.sign_in(user, client=self.client).status_code == 303
        page = self.client.get("/console/")
        assert page.status_code == 200, page.text
        match = CSRF.search(page.text)
        assert match is not None
        return match.group(1)

    def sessions(self) -> list[ConsoleSessionRow]:
        with Session(self.engine) as session:
            return list(session.execute(select(ConsoleSessionRow)).scalars())

    def token(self, user: str, password: str | None = None) -> Any:
        form = {"username": user, "password": password or PASSWORDS[user]}
        return self.client.post("/api/token", data=form)


def mount_probe_routes(app: FastAPI, auth: ConsoleAuth, changes: list[str]) -> None:
    """A page, a form, a supervisors' page and two API reads behind the dependencies."""
    PageUser = Annotated[StaffUser, Depends(auth.page_user)]
    FormUser = Annotated[StaffUser, Depends(auth.form_user)]

    @app.get("/console/")
    def queue(request: Request, user: PageUser) -> HTMLResponse:
        return render(request, "error.html", title="Queue", message="the queue", user=user)

    @app.post("/console/things")
    def change(user: FormUser) -> dict[str, str]:
        changes.append(user.username)
        return {"changed_by": user.username}

    @app.post("/console/notes")
    def note(user: FormUser, text: Annotated[str, Form()]) -> dict[str, str]:
        changes.append(f"{user.username}: {text}")
        return {"noted": text}

    @app.get("/console/dashboard")
    def dashboard(user: Annotated[StaffUser, Depends(auth.supervisor_page)]) -> dict[str, str]:
        return {"supervisor": user.username}

    @app.get("/api/test/staff")
    def staff(user: Annotated[StaffUser, Depends(auth.api_staff)]) -> dict[str, str]:
        return {"username": user.username, "role": user.role}

    @app.get("/api/test/read")
    def read(user: Annotated[StaffUser | None, Depends(auth.api_reader)]) -> dict[str, Any]:
        return {"reader": user.username if user else None}


def settings_for(url: str, **values: Any) -> Settings:
    return Settings(_env_file=None, database_url=url, ops_api_token=OPS_TOKEN, **values)


def build_console(template: Path, tmp_path: Path, **values: Any) -> Iterator[Console]:
    parts = console_parts(template, tmp_path, ops_api_token=OPS_TOKEN, **values)
    app = console_app(parts, static_router())
    changes: list[str] = []
    mount_probe_routes(app, parts.auth, changes)
    with TestClient(app, follow_redirects=False) as client:
        yield Console(parts.engine, parts.clock, app, client, changes)
    parts.engine.dispose()


@pytest.fixture
def console(staffed_template: Path, tmp_path: Path) -> Iterator[Console]:
    yield from build_console(staffed_template, tmp_path)


def test_signing_in_sets_an_httponly_strict_cookie_and_returns_to_the_page(
    console: Console,
) -> None:
    response = console.sign_in("alex", client=console.client, next="/console/cases/c-1?tab=notes")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/cases/c-1?tab=notes"
    cookie = next(c for c in response.headers.get_list("set-cookie") if "kestrel_console=" in c)
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/console"} <= attributes
    assert "secure" not in attributes  # the web origin here is http://127.0.0.1:8000
    assert console.client.get("/console/").status_code == 200
    assert [row.username for row in console.sessions()] == ["alex"]


def test_on_https_the_cookies_are_secure(staffed_template: Path, tmp_path: Path) -> None:
    for console in build_console(
        staffed_template, tmp_path, public_base_url="https://care.example"
    ):
        page = console.client.get("/console/login")
        assert "secure" in page.headers["set-cookie"].lower()
        browser = console.fresh(base_url="https://care.example")
        response = console.sign_in("alex", client=browser)
        assert response.status_code == 303
        assert "secure" in response.headers["set-cookie"].lower()


def test_the_sign_in_page_is_labelled_and_safe_to_show(console: Console) -> None:
    page = console.client.get("/console/login")
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    for name, autocomplete in (("username", "username"), ("password", "current-password")):
        assert f'<label for="{name}">' in page.text
        assert re.search(rf'id="{name}"[^>]*autocomplete="{autocomplete}"', page.text, re.S)
    assert '<html lang="en">' in page.text and 'href="#main"' in page.text
    assert "<script" not in page.text and "style=" not in page.text
    assert page.text.count('type="submit"') == 1
    assert (
        console.client.get("/console/static/console.css")
        .headers["content-type"]
        .startswith("text/css")
    )


def test_a_wrong_password_shows_the_error_on_the_sign_in_page(console: Console) -> None:
    response = console.sign_in("alex", "not-the-password")
    assert response.status_code == 401
    assert re.search(r'role="alert"[^>]*>\s*Wrong username or password', response.text)
    assert 'value="alex"' in response.text  # the name stays typed in
    assert "kestrel_console=" not in response.headers.get("set-cookie", "")
    assert console.sessions() == []


def test_the_sixth_failure_of_one_person_is_refused_even_with_the_right_password(
    console: Console,
) -> None:
    for _ in range(5):
        assert console.sign_in("alex", "wrong-password").status_code == 401
    refused = console.sign_in("alex")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert re.search(r'role="alert"[^>]*>\s*Too many failed sign-ins', refused.text)
    assert console.token("alex").status_code == 429  # the API counts the same failures
    assert console.sign_in("sam").status_code == 303  # someone else is not locked out
    console.clock.advance(timedelta(minutes=15))
    assert console.sign_in("alex").status_code == 303


def test_one_address_trying_many_names_is_refused(staffed_template: Path, tmp_path: Path) -> None:
    for console in build_console(staffed_template, tmp_path, sign_in_max_failures_per_address=3):
        for name in ("ann", "bob", "cy"):
            assert console.sign_in(name, "guess").status_code == 401
        assert console.sign_in("alex").status_code == 429
        elsewhere = console.fresh(client=("198.51.100.7", 4000))
        assert console.sign_in("alex", client=elsewhere).status_code == 303


def test_the_token_endpoint_answers_429_with_retry_after(console: Console) -> None:
    for _ in range(5):
        assert console.token("sam", "wrong-password").status_code == 401
    refused = console.token("sam")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) == 15 * 60
    assert refused.json()["type"] == "SignInThrottled"


def test_without_a_session_a_page_sends_you_to_sign_in_and_back(console: Console) -> None:
    response = console.client.get("/console/dashboard", params={"day": "2026-11-22"})
    assert response.status_code == 303
    assert (
        response.headers["location"] == "/console/login?next=/console/dashboard%3Fday%3D2026-11-22"
    )
    target = console.login_form(next="/console/dashboard?day=2026-11-22")
    assert target  # the page carries next in its form
    page = console.client.get("/console/login", params={"next": "/console/dashboard"})
    assert 'name="next" value="/console/dashboard"' in page.text


def test_a_forged_cookie_is_sent_to_sign_in_never_a_500(console: Console) -> None:
    for value in ("forged", "x" * 4000, "%00%ff", '"quoted"'):
        response = console.fresh().get("/console/", headers={"Cookie": f"kestrel_console={value}"})
        assert response.status_code == 303, value
        assert response.headers["location"] == "/console/login?next=/console/"
        assert "kestrel_console=" in response.headers["set-cookie"]  # the stale cookie is cleared


def test_an_idle_session_expires_and_sends_you_to_sign_in(console: Console) -> None:
    console.signed_in("alex")
    console.clock.advance(timedelta(minutes=29))
    assert console.client.get("/console/").status_code == 200
    console.clock.advance(timedelta(minutes=30))
    response = console.client.get("/console/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login?next=")
    assert console.sessions() == []


def test_signing_out_ends_the_session(console: Console) -> None:
    csrf = console.signed_in("alex")
    secret = console.client.cookies["kestrel_console"]
    response = console.client.post("/console/logout", data={"csrf_token": csrf})
    assert response.status_code == 303 and response.headers["location"] == "/console/login"
    assert console.sessions() == []
    assert (
        console.fresh()
        .get("/console/", headers={"Cookie": f"kestrel_console={secret}"})
        .status_code
        == 303
    )


def test_a_form_needs_the_sessions_csrf_token(console: Console) -> None:
    csrf = console.signed_in("alex")
    assert console.client.post("/console/things", data={"csrf_token": "wrong"}).status_code == 403
    refused = console.client.post("/console/things", data={})
    assert refused.status_code == 403 and "nothing was changed" in refused.text
    assert console.client.post("/console/logout", data={}).status_code == 403
    assert console.changes == []
    assert console.client.post("/console/things", data={"csrf_token": csrf}).status_code == 200
    header = {"X-CSRF-Token": csrf}
    assert console.client.post("/console/things", json={}, headers=header).status_code == 200
    assert console.changes == ["alex", "alex"]


def test_the_csrf_check_reads_a_form_the_route_reads_too(console: Console) -> None:
    csrf = console.signed_in("sam")
    form = {"csrf_token": csrf, "text": "called back"}
    assert console.client.post("/console/notes", data=form).json() == {"noted": "called back"}
    multipart = console.client.post("/console/notes", data=form, files={"f": ("a.txt", b"x")})
    assert multipart.status_code == 200
    wrong = console.client.post("/console/notes", data={**form, "csrf_token": "x"})
    assert wrong.status_code == 403
    assert console.changes == ["sam: called back", "sam: called back"]


def test_a_form_posted_from_another_site_is_refused(console: Console) -> None:
    csrf = console.signed_in("alex")
    for origin in ("https://evil.example", "null", "http://127.0.0.1:8001"):
        response = console.client.post(
            "/console/things", data={"csrf_token": csrf}, headers={"Origin": origin}
        )
        assert response.status_code == 403, origin
    site = {"Origin": "http://127.0.0.1:8000"}
    assert (
        console.client.post("/console/things", data={"csrf_token": csrf}, headers=site).status_code
        == 200
    )
    assert console.changes == ["alex"]


def test_the_sign_in_form_is_protected_by_its_double_submit_token(console: Console) -> None:
    form = {"username": "alex", "password": "kestrel-alex"}
    assert (
        console.fresh().post("/console/login", data=form).status_code == 403
    )  # no cookie, no field
    token = console.login_form()
    forged = console.client.post("/console/login", data={**form, "csrf_token": token + "x"})
    assert forged.status_code == 403
    cross = console.client.post(
        "/console/login", data={**form, "csrf_token": console.login_form()},
        headers={"Origin": "https://evil.example"},
    )  # fmt: skip
    assert cross.status_code == 403
    assert console.sessions() == []


def test_a_sign_in_never_redirects_off_the_console(console: Console) -> None:
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example", "/api/cases"):
        response = console.sign_in("alex", next=target)
        assert response.headers["location"] == "/console/", target
    console.signed_in("alex")
    page = console.client.get("/console/login", params={"next": "https://evil.example/"})
    assert page.status_code == 303 and page.headers["location"] == "/console/"  # signed in


def test_api_token_gives_a_bearer_token_for_the_staff_apis(console: Console) -> None:
    response = console.token("sam")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 30 * 60
    assert response.headers["cache-control"] == "no-store"
    auth = {"Authorization": f"Bearer {body['access_token']}"}
    assert console.client.get("/api/test/staff", headers=auth).json() == {
        "username": "sam", "role": "supervisor",
    }  # fmt: skip
    assert console.client.get("/api/test/read", headers=auth).json() == {"reader": "sam"}
    assert [row.kind for row in console.sessions()] == ["bearer"]


def test_api_token_refuses_a_wrong_password(console: Console) -> None:
    response = console.token("alex", "wrong-password")
    assert response.status_code == 401
    assert response.json() == {"error": "wrong username or password", "type": "NotAuthenticated"}
    assert console.client.post("/api/token", data={"username": "alex"}).status_code == 422
    assert console.token("nobody", "whatever").status_code == 401


def test_the_ops_token_may_read_but_not_act(console: Console) -> None:
    ops = {"Authorization": f"Bearer {OPS_TOKEN}"}
    assert console.client.get("/api/test/read", headers=ops).json() == {"reader": None}
    acting = console.client.get("/api/test/staff", headers=ops)
    assert acting.status_code == 403 and acting.json()["type"] == "NotPermitted"
    for headers in (
        {},
        {"Authorization": "Bearer forged"},
        {"Authorization": f"Basic {OPS_TOKEN}"},
    ):
        assert console.client.get("/api/test/read", headers=headers).status_code == 401
        assert console.client.get("/api/test/staff", headers=headers).status_code == 401


def test_a_console_cookie_is_no_bearer_token(console: Console) -> None:
    console.signed_in("alex")
    secret = console.client.cookies["kestrel_console"]
    response = console.client.get("/api/test/staff", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401


def test_an_agent_cannot_open_a_supervisors_page(console: Console) -> None:
    console.signed_in("alex")
    refused = console.client.get("/console/dashboard")
    assert refused.status_code == 403
    assert "This page is for supervisors." in refused.text and "Signed in as" in refused.text
    console.client.cookies.clear()
    console.signed_in("sam")
    assert console.client.get("/console/dashboard").json() == {"supervisor": "sam"}


def test_an_unknown_console_page_is_a_friendly_404_and_the_api_stays_json(console: Console) -> None:
    page = console.client.get("/console/nothing-here")
    assert page.status_code == 404 and "Not found" in page.text
    assert page.headers["content-type"].startswith("text/html")
    assert console.client.get("/console/static/..%2Fauth.py").status_code == 404
    assert console.client.get("/console/static/missing.css").status_code == 404
    assert console.client.get("/api/nothing").json() == {"detail": "Not Found"}


def test_staff_add_refuses_a_name_not_on_the_policy(
    migrated_template: Path, tmp_path: Path
) -> None:
    shutil.copy(migrated_template, tmp_path / "fresh.db")
    settings = settings_for(f"sqlite:///{tmp_path / 'fresh.db'}")
    with pytest.raises(staff_cli.Refused, match=r"'bob' is not on the staff table.*alex, sam"):
        staff_cli.run(
            ["add", "bob", "--password-stdin"], settings, io.StringIO("long-password-1\n")
        )


def test_staff_add_creates_a_hash_that_signs_alex_in(
    migrated_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    path = tmp_path / "fresh.db"
    shutil.copy(migrated_template, path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setattr("sys.stdin", io.StringIO("alexs-own-password\n"))
    assert staff_cli.main(["add", "alex", "--name", "Alex Doe", "--password-stdin"]) == 0
    said = capsys.readouterr().out
    assert "Created console user alex (Alex Doe), agent with an approval limit of $200.00" in said
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        row = session.get(StaffRow, "alex")
        assert row is not None and "alexs-own-password" not in row.password_hash
    assert PasswordHasher().verify(row.password_hash, "alexs-own-password")
    staff = load_policy(POLICY_FILE).staff
    store = StaffStore(engine, FakeClock().now, staff, SignInLimits.from_settings(settings_for("")))
    assert store.authenticate("alex", "alexs-own-password", "127.0.0.1").display_name == "Alex Doe"
    asked = iter(["alexs-newer-password", "a-different-password"])
    with pytest.raises(staff_cli.Refused, match="differ"):
        staff_cli.run(
            ["add", "alex"], settings_for(f"sqlite:///{path}"), ask=lambda _prompt: next(asked)
        )
    with pytest.raises(staff_cli.Refused, match="demo password"):
        staff_cli.run(
            ["add", "alex", "--password-stdin"],
            settings_for(f"sqlite:///{path}"),
            io.StringIO("kestrel-alex\n"),
        )
    engine.dispose()
