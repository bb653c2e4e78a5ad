"""Role-matrix rows of publishing: policies, items, versions, review, attachments and the rule
tools (/api/v1/policy, /workbench/policies, /workbench/policy-items, /workbench/policy-review,
/workbench/policy-attachments).

Two departments' policies are built. 工信局's (drafted by policy_officer, reviewed by
policy_reviewer, neither of them a matrix caller) show who is refused: officers of other
departments get ``scope``, administrators and leaders read it within their region. 市场监管局's
(drafted and submitted by a second officer of that department, so that the matrix's ``officer``
never reviews its own submission) show the department's own officer doing the work: every row
that changes an item or a version acts on an object of its own, so no row depends on another.

Permissions: policy.read (officers, administrators, leaders; policies of their remit),
policy.draft and policy.review (officers, of their own department).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.policy.world import E1_CONDITION, item_fields, policy_fields
from tests.support.actors import actor, org
from tests.support.matrix import Row, World, api, expect, page

from tongban.kernel.accounts import service as accounts
from tongban.kernel.accounts.models import User
from tongban.kernel.permissions import Actor, Role
from tongban.policy import attachments, service

# policy.read without a department's scope: the lists, the rule tools
READERS = expect(
    "403", officer="ok", fz_officer="ok", leader="ok", admin="ok", province_admin="ok", fz_admin="ok"
)
# policy.draft / policy.review without a department's scope: new policies, the review queue
DRAFTERS = expect("403", officer="ok", fz_officer="ok")
# reading one object: officers of its department, administrators and leaders of its region
GXJ_READERS = READERS | {"officer": "scope", "fz_officer": "scope", "fz_admin": "scope"}
SCJ_READERS = READERS | {"fz_officer": "scope", "fz_admin": "scope"}
# drafting and reviewing one object: officers of its department only
GXJ_WRITERS = expect("403", officer="scope", fz_officer="scope")
SCJ_WRITERS = expect("403", officer="ok", fz_officer="scope")
# pages that read the object before they change it: an administrator outside the region is
# refused by the read (outside_scope) before the missing right is looked at
GXJ_READ_WRITERS = GXJ_WRITERS | {"fz_admin": "scope"}
SCJ_READ_WRITERS = SCJ_WRITERS | {"fz_admin": "scope"}

DRAFTER = "scj_policy_drafter"  # a second officer of 厦门市市场监督管理局, made in build()

POLICY_JSON: dict[str, Any] = {
    "title": "矩阵政策",
    "doc_number": "厦矩〔2026〕1号",
    "issuer": "厦门市人民政府",
    "region_code": "350200",
    "level": "municipal",
    "issued_on": "2026-03-01",
    "effective_on": "2026-03-01",
    "expires_on": "2028-12-31",
    "full_text": "角色矩阵用的政策。",
}
POLICY_FORM = {k: str(v) for k, v in POLICY_JSON.items()}
ITEM_JSON: dict[str, Any] = {
    "title": "矩阵政策事项",
    "summary": "角色矩阵用的事项。",
    "condition": E1_CONDITION,
    "amount": "20万",
    "support_types": ["subsidy"],
    "industries": ["C"],
    "window_opens": "2026-04-01",
    "window_closes": "2026-12-31",
    "materials": ["营业执照复印件"],
}
ITEM_FORM = {
    "title": "矩阵政策事项",
    "summary": "角色矩阵用的事项。",
    "condition_text": E1_CONDITION,
    "amount_text": "20万",
    "support_types": "subsidy",
    "industries": "C",
    "window_opens": "2026-04-01",
    "window_closes": "2026-12-31",
    "materials": "营业执照复印件",
    "annual_budget": "500万",
}
RULE = {"condition": "revenue[last_year] >= 2000万", "amount": "20万"}
REASON = {"reason": "矩阵"}


def _pair(
    method: str,
    route: str,
    url: str,
    gxj: dict[str, str],
    scj: dict[str, str],
    *,
    json: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
) -> list[Row]:
    """The same request on an object of 工信局 and on one of 市场监管局 (``{gxj}`` / ``{scj}`` in
    ``url`` stands for the object's key in the world)."""
    wrap = api if route.startswith("/api/") else page
    return [
        Row(method, route, wrap(gxj), url=url.format(d="gxj"), json=json, form=form, label="工信局"),
        Row(method, route, wrap(scj), url=url.format(d="scj"), json=json, form=form, label="市场监管局"),
    ]


API = "/api/v1/policy"

ROWS: list[Row] = [
    # --- API: policies --------------------------------------------------------------------
    Row("GET", f"{API}/policies", api(READERS)),
    Row("POST", f"{API}/policies", api(DRAFTERS), json=POLICY_JSON),
    *_pair(
        "GET", f"{API}/policies/{{policy_id}}", API + "/policies/{{policy:{d}}}", GXJ_READERS, SCJ_READERS
    ),
    *_pair(
        "PUT",
        f"{API}/policies/{{policy_id}}",
        API + "/policies/{{policy:{d}}}",
        GXJ_WRITERS,
        SCJ_WRITERS,
        json=POLICY_JSON,
    ),
    # The upload is multipart (field ``file``) and the matrix sends only JSON and forms: FastAPI
    # refuses the missing file (422) before the route runs, for every caller, so this row shows
    # only that nothing is attached without a file. Who may attach is shown by the page's upload
    # rows below, which go through the same ``attachments.add``.
    Row(
        "POST",
        f"{API}/policies/{{policy_id}}/attachments",
        expect("422"),
        url=API + "/policies/{policy:scj}/attachments",
        json={},
    ),
    Row(
        "GET",
        f"{API}/attachments/{{attachment_id}}",
        api(GXJ_READERS),
        url=API + "/attachments/{attachment:gxj}",
    ),
    # --- API: items and versions ----------------------------------------------------------
    *_pair(
        "POST",
        f"{API}/policies/{{policy_id}}/items",
        API + "/policies/{{policy:{d}}}/items",
        GXJ_WRITERS,
        SCJ_WRITERS,
        json=ITEM_JSON,
    ),
    *_pair("GET", f"{API}/items/{{item_id}}", API + "/items/{{item:{d}_live}}", GXJ_READERS, SCJ_READERS),
    *_pair(
        "PUT",
        f"{API}/items/{{item_id}}",
        API + "/items/{{item:{d}_api_edit}}",
        GXJ_WRITERS,
        SCJ_WRITERS,
        json=ITEM_JSON,
    ),
    *_pair(
        "GET",
        f"{API}/items/{{item_id}}/versions/{{number}}",
        API + "/items/{{item:{d}_live}}/versions/1",
        GXJ_READERS,
        SCJ_READERS,
    ),
    *_pair(
        "POST",
        f"{API}/versions/{{version_id}}/submit",
        API + "/versions/{{version:{d}_api_submit}}/submit",
        GXJ_WRITERS,
        SCJ_WRITERS,
    ),
    *_pair(
        "POST",
        f"{API}/versions/{{version_id}}/approve",
        API + "/versions/{{version:{d}_api_approve}}/approve",
        GXJ_WRITERS,
        SCJ_WRITERS,
        json={"note": "矩阵"},
    ),
    *_pair(
        "POST",
        f"{API}/versions/{{version_id}}/reject",
        API + "/versions/{{version:{d}_api_reject}}/reject",
        GXJ_WRITERS,
        SCJ_WRITERS,
        json=REASON,
    ),
    *_pair(
        "POST",
        f"{API}/items/{{item_id}}/withdraw",
        API + "/items/{{item:{d}_api_withdraw}}/withdraw",
        GXJ_WRITERS,
        SCJ_WRITERS,
        json=REASON,
    ),
    Row("GET", f"{API}/review", api(DRAFTERS)),
    # --- API: rule tools ------------------------------------------------------------------
    Row("POST", f"{API}/rules/check", api(READERS), json=RULE),
    Row("GET", f"{API}/rules/attributes", api(READERS)),
    Row("POST", f"{API}/rules/preview", api(DRAFTERS), json=RULE),
    # --- workbench: policies --------------------------------------------------------------
    Row("GET", "/workbench/policies", page(READERS)),
    Row("GET", "/workbench/policies.xlsx", page(READERS)),
    Row("GET", "/workbench/policies/new", page(DRAFTERS)),
    Row("POST", "/workbench/policies/new", page(DRAFTERS), form=POLICY_FORM),
    *_pair(
        "GET",
        "/workbench/policies/{policy_id}",
        "/workbench/policies/{{policy:{d}}}",
        GXJ_READERS,
        SCJ_READERS,
    ),
    *_pair(
        "GET",
        "/workbench/policies/{policy_id}/edit",
        "/workbench/policies/{{policy:{d}}}/edit",
        GXJ_WRITERS,
        SCJ_WRITERS,
    ),
    *_pair(
        "POST",
        "/workbench/policies/{policy_id}/edit",
        "/workbench/policies/{{policy:{d}}}/edit",
        GXJ_WRITERS,
        SCJ_WRITERS,
        form=POLICY_FORM,
    ),
    # A form without a file: the department's own officer gets the form back (422).
    *_pair(
        "POST",
        "/workbench/policies/{policy_id}/attachments",
        "/workbench/policies/{{policy:{d}}}/attachments",
        GXJ_WRITERS,
        SCJ_WRITERS | {"officer": "422"},
        form={},
    ),
    Row(
        "GET",
        "/workbench/policy-attachments/{attachment_id}",
        page(GXJ_READERS),
        url="/workbench/policy-attachments/{attachment:gxj}",
    ),
    # --- workbench: items -----------------------------------------------------------------
    *_pair(
        "GET",
        "/workbench/policies/{policy_id}/items/new",
        "/workbench/policies/{{policy:{d}}}/items/new",
        GXJ_WRITERS,
        SCJ_WRITERS,
    ),
    *_pair(
        "POST",
        "/workbench/policies/{policy_id}/items/new",
        "/workbench/policies/{{policy:{d}}}/items/new",
        GXJ_READ_WRITERS,
        SCJ_READ_WRITERS,
        form=ITEM_FORM,
    ),
    *_pair(
        "GET",
        "/workbench/policy-items/{item_id}",
        "/workbench/policy-items/{{item:{d}_live}}",
        GXJ_READERS,
        SCJ_READERS,
    ),
    *_pair(
        "GET",
        "/workbench/policy-items/{item_id}/versions/{number}",
        "/workbench/policy-items/{{item:{d}_live}}/versions/1",
        GXJ_READERS,
        SCJ_READERS,
    ),
    *_pair(
        "GET",
        "/workbench/policy-items/{item_id}/edit",
        "/workbench/policy-items/{{item:{d}_live}}/edit",
        GXJ_WRITERS,
        SCJ_WRITERS,
    ),
    *_pair(
        "POST",
        "/workbench/policy-items/{item_id}/edit",
        "/workbench/policy-items/{{item:{d}_page_edit}}/edit",
        GXJ_READ_WRITERS,
        SCJ_READ_WRITERS,
        form=ITEM_FORM,
    ),
    *_pair(
        "POST",
        "/workbench/policy-items/{item_id}/submit",
        "/workbench/policy-items/{{item:{d}_page_submit}}/submit",
        GXJ_READ_WRITERS,
        SCJ_READ_WRITERS,
    ),
    *_pair(
        "POST",
        "/workbench/policy-items/{item_id}/withdraw",
        "/workbench/policy-items/{{item:{d}_page_withdraw}}/withdraw",
        GXJ_WRITERS,
        SCJ_WRITERS,
        form=REASON,
    ),
    # --- workbench: review ----------------------------------------------------------------
    Row("GET", "/workbench/policy-review", page(DRAFTERS)),
    *_pair(
        "GET",
        "/workbench/policy-review/{version_id}",
        "/workbench/policy-review/{{version:{d}_view}}",
        GXJ_WRITERS,
        SCJ_WRITERS,
    ),
    *_pair(
        "POST",
        "/workbench/policy-review/{version_id}/approve",
        "/workbench/policy-review/{{version:{d}_page_approve}}/approve",
        GXJ_WRITERS,
        SCJ_WRITERS,
        form={"note": "矩阵"},
    ),
    *_pair(
        "POST",
        "/workbench/policy-review/{version_id}/reject",
        "/workbench/policy-review/{{version:{d}_page_reject}}/reject",
        GXJ_WRITERS,
        SCJ_WRITERS,
        form=REASON,
    ),
]


# --- the world ----------------------------------------------------------------------------------


def drafter(session: Session) -> Actor:
    """The second officer of 厦门市市场监督管理局 (made once per world)."""
    found = session.scalar(select(User).where(User.username == DRAFTER))
    if found is None:
        accounts.create_user(
            session,
            actor(session, "admin"),
            username=DRAFTER,
            display_name="市场监管局政策科科员",
            password="Temporary2026",
            role=Role.OFFICER,
            org_id=org(session, "350200-SCJGJ").id,
        )
        session.flush()
    return actor(session, DRAFTER)


def department_people(session: Session, department: str) -> tuple[Actor, Actor]:
    """Who drafts and who reviews in the department ("gxj" or "scj"): never the matrix's callers
    as submitters, so that ``officer`` reviews only other people's submissions."""
    if department == "gxj":
        return actor(session, "policy_officer"), actor(session, "policy_reviewer")
    return drafter(session), actor(session, "officer")


def new_policy(session: Session, department: str) -> int:
    author, _ = department_people(session, department)
    return service.create_policy(session, author, policy_fields()).id


def new_item(session: Session, department: str, policy_id: int, state: str) -> tuple[int, int]:
    """An item in ``state`` (draft, in_review or published): (item id, its latest version's id)."""
    author, reviewer = department_people(session, department)
    version = service.create_item(session, author, policy_id, item_fields())
    if state in ("in_review", "published"):
        service.submit(session, author, version.id)
    if state == "published":
        service.approve(session, reviewer, version.id)
    return version.item_id, version.id


PDF = b"%PDF-1.4\n% matrix\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def build(session: Session, world: World) -> None:
    for department in ("gxj", "scj"):
        policy_id = new_policy(session, department)
        world.ids[f"policy:{department}"] = policy_id
        for name, state in (
            ("live", "published"),
            ("api_edit", "draft"),
            ("page_edit", "draft"),
            ("api_submit", "draft"),
            ("page_submit", "draft"),
            ("view", "in_review"),
            ("api_approve", "in_review"),
            ("page_approve", "in_review"),
            ("api_reject", "in_review"),
            ("page_reject", "in_review"),
            ("api_withdraw", "published"),
            ("page_withdraw", "published"),
        ):
            item_id, version_id = new_item(session, department, policy_id, state)
            world.ids[f"item:{department}_{name}"] = item_id
            world.ids[f"version:{department}_{name}"] = version_id
    author, _ = department_people(session, "gxj")
    assert world.data_dir is not None, "the matrix world carries the app's data directory"
    attachment = attachments.add(
        session,
        author,
        world.ids["policy:gxj"],
        attachments.Upload("政策原文.pdf", PDF),
        world.data_dir,
    )
    world.ids["attachment:gxj"] = attachment.id
