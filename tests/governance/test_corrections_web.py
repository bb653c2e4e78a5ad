"""Correction and conflict pages and API: forms, Chinese errors, attachments, problem+json."""

from __future__ import annotations

import struct
import zlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from tests.governance.conftest import ADDRESS, OTHER, REGISTRATIONS, Hub
from tests.support.html import attributes, has, text, texts, zh
from tests.support.web import api_headers, csrf_token, log_in, post_form
from tongban.governance import conflicts
from tongban.governance.correction_models import Correction
from tongban.kernel.permissions import Actor

NEW_ADDRESS = "厦门市思明区鹭江道8号"
FORM_URL = f"/portal/corrections/new?subject={{subject}}&resource={REGISTRATIONS}&field=住所"


def tiny_png() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def tiny_pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def count(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(Correction)) or 0


def file_form(client: TestClient, **changes: Any) -> Any:
    data = {
        "subject": "",
        "resource": REGISTRATIONS,
        "field": "住所",
        "proposed_value": NEW_ADDRESS,
        "explanation": "公司已迁址。",
        "csrf_token": csrf_token(client),
    } | changes
    files = data.pop("files", None)
    return client.post("/portal/corrections/new", data=data, files=files, follow_redirects=False)


def test_the_form_shows_the_recorded_value(client: TestClient, hub: Hub) -> None:
    log_in(client, "enterprise")
    page = client.get(FORM_URL.format(subject=hub.enterprise))
    assert page.status_code == 200, page.text[-3000:]
    assert text(page.text, "correction-current-value") == ADDRESS
    assert has(page.text, "field-proposed_value") and has(page.text, "field-attachment")
    assert attributes(page.text, "field-subject")[0]["value"] == hub.enterprise
    # without parameters the enterprise picks a resource first
    picker = client.get("/portal/corrections/new")
    assert picker.status_code == 200 and has(picker.text, "correction-pick")
    other = client.get(FORM_URL.format(subject=OTHER))
    assert other.status_code == 403


def test_filing_with_a_real_pdf_and_deciding_as_the_steward(
    client: TestClient, hub: Hub, session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "enterprise")
    response = file_form(client, files={"attachment": ("变更通知书.pdf", tiny_pdf(), "application/pdf")})
    assert response.status_code == 303, response.text[:1000]
    detail_url = response.headers["location"]
    detail = client.get(detail_url)
    assert attributes(detail.text, "correction-status")[0]["data-status"] == "open"
    assert text(detail.text, "correction-attachment") == "变更通知书.pdf"
    download = client.get(f"{detail_url}/attachment")
    assert download.status_code == 200 and download.content == tiny_pdf()
    assert not has(detail.text, "correction-accept")
    ticket_id = int(detail_url.rsplit("/", 1)[1])
    mine = client.get("/portal/corrections")
    assert [a["data-id"] for a in attributes(mine.text, "correction-row")] == [str(ticket_id)]

    client.post("/logout", data={"csrf_token": csrf_token(client)})
    log_in(client, "steward")
    listing = client.get("/workbench/corrections")
    assert str(ticket_id) in [a["data-id"] for a in attributes(listing.text, "correction-row")]
    page = client.get(f"/workbench/corrections/{ticket_id}")
    assert has(page.text, "correction-accept") and has(page.text, "correction-reject")
    rejected = post_form(client, f"/workbench/corrections/{ticket_id}/reject", {"reason": ""})
    assert rejected.status_code == 422
    assert texts(rejected.text, "error-reason") == [zh("Say why the correction is rejected.")]
    accepted = post_form(client, f"/workbench/corrections/{ticket_id}/accept", {"reason": "核对无误"})
    assert accepted.status_code == 303
    page = client.get(f"/workbench/corrections/{ticket_id}")
    assert attributes(page.text, "correction-status")[0]["data-status"] == "accepted"
    assert has(page.text, "correction-load")
    export = client.get("/workbench/corrections.xlsx?status=all")
    assert export.status_code == 200 and export.headers["content-type"].startswith("application/vnd.openxml")

    client.post("/logout", data={"csrf_token": csrf_token(client)})
    log_in(client, "enterprise")
    home = client.get("/portal")
    assert text(home.text, "nav-inbox-unread") == "1"
    inbox = client.get("/inbox")
    message_id = attributes(inbox.text, "inbox-message")[0]["data-id"]
    opened = post_form(client, f"/inbox/{message_id}/read")
    assert opened.status_code == 303 and opened.headers["location"] == detail_url
    assert not has(client.get("/portal").text, "nav-inbox-unread")


def test_bad_input_is_refused_in_chinese_and_nothing_is_written(
    client: TestClient, hub: Hub, session_factory: sessionmaker[Session]
) -> None:
    log_in(client, "enterprise")
    empty = file_form(client, explanation="", proposed_value="")
    assert empty.status_code == 422
    assert texts(empty.text, "error-explanation") == [zh("Explain why the value is wrong.")]
    assert texts(empty.text, "error-proposed_value") == [zh("Enter the value you believe is right.")]
    assert has(empty.text, "correction-form")  # the form again, values kept
    same = file_form(client, proposed_value=ADDRESS)
    assert same.status_code == 422
    assert texts(same.text, "error-proposed_value") == [zh("This is the value already recorded.")]
    exe = file_form(client, files={"attachment": ("tool.exe", b"MZ\x90\x00", "application/octet-stream")})
    assert exe.status_code == 422
    assert texts(exe.text, "error-attachment") == [zh("Attach a PDF, JPG, PNG, DOCX or XLSX file.")]
    fake = file_form(client, files={"attachment": ("photo.png", tiny_pdf(), "image/png")})
    assert fake.status_code == 422
    assert count(session_factory) == 0
    png = file_form(client, files={"attachment": ("营业执照.png", tiny_png(), "image/png")})
    assert png.status_code == 303
    assert count(session_factory) == 1


def test_the_api_answers_problem_json(client: TestClient, hub: Hub) -> None:
    log_in(client, "enterprise")
    headers = api_headers(client)
    body = {
        "subject": hub.enterprise,
        "resource": REGISTRATIONS,
        "field": "住所",
        "proposed_value": NEW_ADDRESS,
        "explanation": "公司已迁址。",
    }
    bad = client.post("/api/v1/corrections", json=body | {"explanation": " "}, headers=headers)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["field"] == "explanation"
    other = client.post("/api/v1/corrections", json=body | {"subject": OTHER}, headers=headers)
    assert other.status_code == 403 and other.json()["code"] == "other_enterprise"
    created = client.post("/api/v1/corrections", json=body, headers=headers)
    assert created.status_code == 201 and created.json()["status"] == "open"
    assert created.json()["disputed_value"] == ADDRESS
    ticket_id = created.json()["id"]
    assert client.get("/api/v1/corrections", headers=headers).json()["total"] == 1
    refused = client.post(f"/api/v1/corrections/{ticket_id}/accept", json={}, headers=headers)
    assert refused.status_code == 403 and refused.headers["content-type"].startswith(
        "application/problem+json"
    )
    withdrawn = client.post(f"/api/v1/corrections/{ticket_id}/withdraw", headers=headers)
    assert withdrawn.json()["status"] == "withdrawn"
    again = client.post(f"/api/v1/corrections/{ticket_id}/withdraw", headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "correction_closed"
    assert client.get("/api/v1/corrections/999999", headers=headers).status_code == 404


def test_conflicts_page_shows_both_sources_and_the_resolved_value(
    client: TestClient, hub: Hub, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        conflicts.scan(session, Actor.system("test"))
        session.commit()
    log_in(client, "admin")
    page = client.get("/workbench/conflicts?element=registered_address")
    assert page.status_code == 200
    assert len(attributes(page.text, "conflict-row")) == 1
    assert {text(page.text, "conflict-value-a"), text(page.text, "conflict-value-b")} == {
        ADDRESS,
        "厦门市湖里区旧址路9号",
    }
    assert text(page.text, "conflict-reason") == zh(
        "Departments disagree; the most recently recorded value is used."
    )
    rules = client.get("/workbench/conflicts/rules")
    assert "registered_address" in [a["data-element"] for a in attributes(rules.text, "rule-row")]
    saved = post_form(
        client,
        "/workbench/conflicts/rules",
        {"element": "registered_address", "kind": "authoritative", "authoritative_resource": REGISTRATIONS},
    )
    assert saved.status_code == 303
    page = client.get("/workbench/conflicts?element=registered_address")
    assert text(page.text, "conflict-resolved").startswith(ADDRESS)
    bad = post_form(
        client, "/workbench/conflicts/rules", {"element": "registered_address", "kind": "authoritative"}
    )
    assert bad.status_code == 422
    export = client.get("/workbench/conflicts.xlsx")
    assert export.status_code == 200
    api = client.get("/api/v1/conflicts", headers=api_headers(client)).json()
    assert api["total"] == 2 and {s["resource"] for s in api["items"][0]["sources"]}
    scanned = post_form(client, "/workbench/conflicts/scan")
    assert scanned.status_code == 303
