"""JSON routes of publishing: policies, items, versions, review, attachments and the rule tools
of the condition builder (/api/v1/policy).

Every route checks its permission in the service (officers of the issuing department draft and
review; staff of other departments get 403). Errors are RFC 9457 problem documents; a rule that
does not check answers 422 with its ``problems`` (code, message, part, start, end).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from tongban.policy import attachments, rule_tools, service, workbench
from tongban.policy.domain import ItemFields, PolicyFields, PolicyLevel
from tongban.policy.models import ItemVersion, Policy, PolicyAttachment, PolicyItem
from tongban.rules.errors import RuleInvalid
from tongban.web import problems as problem_docs
from tongban.web.deps import DB, CurrentActor, Id, PageNumber

router = APIRouter(prefix="/api/v1/policy", tags=["policy"])

Text = Annotated[str, Field(max_length=rule_tools.CONDITION_LIMIT)]


# --- models -----------------------------------------------------------------------------------


class PolicyIn(BaseModel):
    title: str = Field(max_length=300, description="Title of the policy document.")
    doc_number: str = Field(default="", max_length=100, description="Document number (文号).")
    issuer: str = Field(max_length=200, description="Issuing authority as printed.")
    region_code: str = Field(default="", max_length=12, description="GB/T 2260 code of the region covered.")
    level: PolicyLevel = Field(description="national, provincial, municipal or district.")
    issued_on: date | None = None
    effective_on: date | None = None
    expires_on: date | None = None
    full_text: str = Field(default="", max_length=200_000)
    source_url: str = Field(default="", max_length=500)

    def fields(self) -> PolicyFields:
        return PolicyFields(**self.model_dump())


class PolicyOut(BaseModel):
    id: int
    org_id: int
    title: str
    doc_number: str
    issuer: str
    region_code: str
    level: str
    issued_on: date | None
    effective_on: date | None
    expires_on: date | None
    source_url: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, policy: Policy) -> PolicyOut:
        return cls(
            id=policy.id,
            org_id=policy.org_id,
            title=policy.title,
            doc_number=policy.doc_number,
            issuer=policy.issuer,
            region_code=policy.region_code,
            level=policy.level.value,
            issued_on=policy.issued_on,
            effective_on=policy.effective_on,
            expires_on=policy.expires_on,
            source_url=policy.source_url,
            created_at=policy.created_at,
            updated_at=policy.updated_at,
        )


class PolicyRowOut(PolicyOut):
    department: str
    items: int
    states: dict[str, int] = Field(description="Items by state, and open versions (draft, in_review).")


class PolicyPage(BaseModel):
    items: list[PolicyRowOut]
    total: int
    page: int
    pages: int


class AttachmentOut(BaseModel):
    id: int
    policy_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    download: str

    @classmethod
    def of(cls, attachment: PolicyAttachment) -> AttachmentOut:
        return cls(
            id=attachment.id,
            policy_id=attachment.policy_id,
            filename=attachment.filename,
            content_type=attachment.content_type,
            size=attachment.size,
            sha256=attachment.sha256,
            uploaded_at=attachment.uploaded_at,
            download=f"/api/v1/policy/attachments/{attachment.id}",
        )


class ItemIn(BaseModel):
    title: str = Field(max_length=300)
    summary: str = Field(default="", max_length=200_000)
    condition: Text = Field(default="", description="Eligibility in the rules language.")
    amount: Text = Field(default="", description="Amount formula in the rules language (empty: none).")
    support_types: list[str] = Field(default_factory=list, max_length=20)
    industries: list[Annotated[str, Field(max_length=10)]] = Field(default_factory=list, max_length=100)
    sizes: list[Annotated[str, Field(max_length=20)]] = Field(default_factory=list, max_length=10)
    window_opens: date | None = None
    window_closes: date | None = None
    handling_org_id: Id | None = None
    materials: list[Annotated[str, Field(max_length=300)]] = Field(default_factory=list, max_length=60)
    exclusive_group: str = Field(default="", max_length=60)
    annual_budget_fen: int | None = Field(default=None, ge=0, le=10**17, description="Annual budget in fen.")
    no_application: bool = Field(default=False, description="免申即享: granted without applying.")

    def fields(self) -> ItemFields:
        return ItemFields(
            title=self.title,
            summary=self.summary,
            condition_text=self.condition,
            amount_text=self.amount,
            support_types=tuple(self.support_types),
            industries=tuple(self.industries),
            sizes=tuple(self.sizes),
            window_opens=self.window_opens,
            window_closes=self.window_closes,
            handling_org_id=self.handling_org_id,
            materials=tuple(self.materials),
            exclusive_group=self.exclusive_group,
            annual_budget_fen=self.annual_budget_fen,
            no_application=self.no_application,
        )


class VersionOut(BaseModel):
    id: int
    item_id: int
    number: int
    state: str
    title: str
    summary: str
    condition: str
    amount: str
    checks: bool = Field(description="True when the condition and amount type-check.")
    support_types: list[str]
    industries: list[str]
    sizes: list[str]
    window_opens: date | None
    window_closes: date | None
    handling_org_id: int | None
    materials: list[str]
    exclusive_group: str
    annual_budget_fen: int | None
    no_application: bool
    submitted_at: datetime | None
    reviewed_at: datetime | None
    review_note: str
    published_at: datetime | None
    ended_at: datetime | None
    preview: dict[str, Any] | None

    @classmethod
    def of(cls, version: ItemVersion) -> VersionOut:
        return cls(
            id=version.id,
            item_id=version.item_id,
            number=version.number,
            state=version.state.value,
            title=version.title,
            summary=version.summary,
            condition=version.condition_text,
            amount=version.amount_text,
            checks=version.rule is not None,
            support_types=list(version.support_types),
            industries=list(version.industries),
            sizes=list(version.sizes),
            window_opens=version.window_opens,
            window_closes=version.window_closes,
            handling_org_id=version.handling_org_id,
            materials=list(version.materials),
            exclusive_group=version.exclusive_group,
            annual_budget_fen=version.annual_budget_fen,
            no_application=version.no_application,
            submitted_at=version.submitted_at,
            reviewed_at=version.reviewed_at,
            review_note=version.review_note,
            published_at=version.published_at,
            ended_at=version.ended_at,
            preview=version.preview,
        )


class ItemOut(BaseModel):
    id: int
    code: str
    policy_id: int
    org_id: int
    state: str
    live_version_id: int | None
    versions: list[VersionOut]

    @classmethod
    def of(cls, item: PolicyItem, versions: list[ItemVersion]) -> ItemOut:
        return cls(
            id=item.id,
            code=item.code,
            policy_id=item.policy_id,
            org_id=item.org_id,
            state=item.state.value,
            live_version_id=item.live_version_id,
            versions=[VersionOut.of(v) for v in versions],
        )


class PolicyDetail(BaseModel):
    policy: PolicyOut
    full_text: str
    attachments: list[AttachmentOut]
    items: list[ItemOut]


class ReviewPage(BaseModel):
    items: list[VersionOut]
    total: int
    page: int
    pages: int


class NoteIn(BaseModel):
    note: str = Field(default="", max_length=2000)


class ReasonIn(BaseModel):
    reason: str = Field(default="", max_length=2000, description="Why (required).")


class RuleIn(BaseModel):
    condition: Text = Field(default="", description="The condition text as typed.")
    amount: Text = Field(default="", description="The amount text as typed (empty: no amount).")


class ProblemOut(BaseModel):
    code: str = Field(description="Stable code, e.g. rules.syntax, rules.unknown_attribute.")
    message: str = Field(description="In the request's language.")
    part: str = Field(description="condition or amount: which text the span refers to.")
    start: int | None = Field(description="Start of the span (characters), if known.")
    end: int | None = Field(description="End of the span (exclusive).")


class CheckOut(BaseModel):
    ok: bool
    condition: str | None = Field(description="The canonical text of the condition, when it checks.")
    amount: str | None = Field(description="The canonical text of the amount, when there is one.")
    description_zh: str = Field(description="The condition in plain Chinese.")
    description_en: str
    amount_description_zh: str
    amount_description_en: str
    problems: list[ProblemOut]
    builder: dict[str, Any] | None = Field(
        description="The condition as the builder's groups and rows; null when beyond the builder."
    )


class AttributeOut(BaseModel):
    key: str
    label_zh: str
    label_en: str
    type: str
    yearly: bool
    unit_zh: str
    unit_en: str
    code_list: str
    codes: list[dict[str, str]] = Field(description="Values to choose from (code, zh, en), if a short list.")
    operators: list[str] = Field(description="Operator keys the builder offers for this attribute.")


class AttributesOut(BaseModel):
    attributes: list[AttributeOut]
    operators: list[dict[str, str]] = Field(description="Operator keys with zh/en labels.")
    periods: dict[str, list[dict[str, str]]] = Field(description="Single years, windows, gained windows.")


class PreviewOut(BaseModel):
    available: bool = Field(description="False before the first profile snapshot is built.")
    preview: dict[str, Any] | None


# --- policies ---------------------------------------------------------------------------------


@router.get(
    "/policies",
    response_model=PolicyPage,
    summary="Policies of your remit",
    description="Newest first, paged; filter by item state (draft, in_review, published, withdrawn, "
    "expired, unpublished) and department.",
)
def list_policies(
    db: DB,
    actor: CurrentActor,
    state: Annotated[str, Query(max_length=20)] = "",
    org_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    q: Annotated[str, Query(max_length=100)] = "",
    page: PageNumber = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> PolicyPage:
    filters = workbench.PolicyFilter(state=state, org_id=org_id, text=q)
    result = workbench.list_policies(db, actor, filters, page, page_size)
    return PolicyPage(
        items=[
            PolicyRowOut(
                **PolicyOut.of(r.policy).model_dump(), department=r.department, items=r.items, states=r.states
            )
            for r in result.items
        ],
        total=result.total,
        page=result.page,
        pages=result.pages,
    )


@router.post(
    "/policies",
    status_code=201,
    response_model=PolicyOut,
    summary="Register a policy document",
    description="For officers with policy drafting rights; the policy belongs to their department.",
)
def create_policy(db: DB, actor: CurrentActor, body: PolicyIn) -> JSONResponse:
    policy = service.create_policy(db, actor, body.fields())
    return JSONResponse(PolicyOut.of(policy).model_dump(mode="json"), status_code=201)


def _item_out(db: DB, item: PolicyItem) -> ItemOut:
    return ItemOut.of(item, service.versions_of(db, item.id))


@router.get(
    "/policies/{policy_id}",
    response_model=PolicyDetail,
    summary="One policy with its attachments and items",
    description="Each item with all its versions (old ones stay readable).",
)
def get_policy(db: DB, actor: CurrentActor, policy_id: Id) -> PolicyDetail:
    policy = workbench.readable_policy(db, actor, policy_id)
    return PolicyDetail(
        policy=PolicyOut.of(policy),
        full_text=policy.full_text,
        attachments=[AttachmentOut.of(a) for a in attachments.attachments_of(db, policy.id)],
        items=[_item_out(db, i) for i in service.items_of(db, policy.id)],
    )


@router.put(
    "/policies/{policy_id}",
    response_model=PolicyOut,
    summary="Change a policy's details",
    description="Officers of the issuing department; the whole document is replaced.",
)
def update_policy(db: DB, actor: CurrentActor, policy_id: Id, body: PolicyIn) -> PolicyOut:
    return PolicyOut.of(service.update_policy(db, actor, policy_id, body.fields()))


@router.post(
    "/policies/{policy_id}/attachments",
    status_code=201,
    response_model=AttachmentOut,
    summary="Attach a file to a policy",
    description="PDF, JPG, PNG, DOCX or XLSX, at most 5 MB, content matching its type; multipart field "
    "``file``.",
)
async def upload_attachment(
    request: Request, db: DB, actor: CurrentActor, policy_id: Id, file: Annotated[UploadFile, File()]
) -> JSONResponse:
    content = await file.read(attachments.MAX_BYTES + 1)
    attachment = attachments.add(
        db,
        actor,
        policy_id,
        attachments.Upload(file.filename or "", content),
        request.app.state.settings.data_dir,
    )
    return JSONResponse(AttachmentOut.of(attachment).model_dump(mode="json"), status_code=201)


@router.get(
    "/attachments/{attachment_id}",
    summary="Download an attachment",
    description="Staff who read the issuing department's policies; the response carries the file.",
    response_class=FileResponse,
)
def download_attachment(request: Request, db: DB, actor: CurrentActor, attachment_id: Id) -> Response:
    path, attachment = attachments.open_for_staff(
        db, actor, attachment_id, request.app.state.settings.data_dir
    )
    return FileResponse(path, media_type=attachment.content_type, filename=attachment.filename)


# --- items ------------------------------------------------------------------------------------


def _rule_problem(request: Request, error: RuleInvalid) -> JSONResponse:
    body = problem_docs.domain_error_body(request, error)
    body["problems"] = [rule_tools.problem_of(p).__dict__ for p in error.problems]
    return problem_docs.problem_response(body)


@router.post(
    "/policies/{policy_id}/items",
    status_code=201,
    response_model=VersionOut,
    summary="Draft a new item of a policy",
    description="The item's first version, a draft. Its rule texts may still have problems (see "
    "``checks``); submitting requires that they check.",
)
def create_item(db: DB, actor: CurrentActor, policy_id: Id, body: ItemIn) -> JSONResponse:
    version = service.create_item(db, actor, policy_id, body.fields())
    return JSONResponse(VersionOut.of(version).model_dump(mode="json"), status_code=201)


@router.get(
    "/items/{item_id}",
    response_model=ItemOut,
    summary="One item with its versions",
    description="Every version, oldest first, with its state and content.",
)
def get_item(db: DB, actor: CurrentActor, item_id: Id) -> ItemOut:
    return _item_out(db, workbench.readable_item(db, actor, item_id))


@router.put(
    "/items/{item_id}",
    response_model=VersionOut,
    summary="Edit an item",
    description="Changes the open draft (a returned version becomes a draft again) or starts a new "
    "version from the published one; a version in review cannot be edited (409).",
)
def edit_item(db: DB, actor: CurrentActor, item_id: Id, body: ItemIn) -> VersionOut:
    return VersionOut.of(service.edit_item(db, actor, item_id, body.fields()))


@router.get(
    "/items/{item_id}/versions/{number}",
    response_model=VersionOut,
    summary="One version of an item",
    description="Old versions stay readable.",
)
def get_version(
    db: DB, actor: CurrentActor, item_id: Id, number: Annotated[int, Field(ge=1, le=10_000)]
) -> VersionOut:
    return VersionOut.of(workbench.version_by_number(db, actor, item_id, number))


@router.post(
    "/versions/{version_id}/submit",
    response_model=VersionOut,
    summary="Submit a draft for review",
    description="The rule texts must check (422 with ``problems`` otherwise); the preview of who "
    "qualifies is computed now.",
)
def submit(request: Request, db: DB, actor: CurrentActor, version_id: Id) -> Response:
    try:
        version = service.submit(db, actor, version_id)
    except RuleInvalid as error:
        db.rollback()
        return _rule_problem(request, error)
    return JSONResponse(VersionOut.of(version).model_dump(mode="json"))


@router.post(
    "/versions/{version_id}/approve",
    response_model=VersionOut,
    summary="Approve and publish a version",
    description="Another officer of the issuing department than the submitter (four eyes: 403 "
    "policy_self_review otherwise). The version it replaces is superseded.",
)
def approve(db: DB, actor: CurrentActor, version_id: Id, body: NoteIn | None = None) -> VersionOut:
    return VersionOut.of(service.approve(db, actor, version_id, body.note if body else ""))


@router.post(
    "/versions/{version_id}/reject",
    response_model=VersionOut,
    summary="Return a version to its author",
    description="A reason is required; the author edits it again as a draft.",
)
def reject(db: DB, actor: CurrentActor, version_id: Id, body: ReasonIn) -> VersionOut:
    return VersionOut.of(service.reject(db, actor, version_id, body.reason))


@router.post(
    "/items/{item_id}/withdraw",
    response_model=VersionOut,
    summary="Withdraw a published item",
    description="Reviewers of the issuing department, with a reason; enterprises stop seeing it.",
)
def withdraw(db: DB, actor: CurrentActor, item_id: Id, body: ReasonIn) -> VersionOut:
    return VersionOut.of(service.withdraw(db, actor, item_id, body.reason))


@router.get(
    "/review",
    response_model=ReviewPage,
    summary="Versions waiting for review",
    description="In the reviewer's remit, oldest submission first.",
)
def review_queue(
    db: DB, actor: CurrentActor, page: PageNumber = 1, page_size: Annotated[int, Query(ge=1, le=200)] = 20
) -> ReviewPage:
    result = service.review_queue(db, actor, page, page_size)
    return ReviewPage(
        items=[VersionOut.of(v) for v in result.items],
        total=result.total,
        page=result.page,
        pages=result.pages,
    )


# --- rule tools -------------------------------------------------------------------------------


@router.post(
    "/rules/check",
    response_model=CheckOut,
    summary="Check a condition and an amount",
    description="Called by the condition builder as the officer types. Always 200 for any text: "
    "problems are listed with their code, message (in the request's language), part and span "
    "(character offsets). When the rule checks: the canonical texts, the plain-language "
    "descriptions and the builder's form. 422 only for a malformed request.",
)
def check_rule(actor: CurrentActor, body: RuleIn) -> CheckOut:
    found = rule_tools.check_for(actor, body.condition, body.amount)
    return CheckOut(
        ok=found.ok,
        condition=found.condition,
        amount=found.amount,
        description_zh=found.description_zh,
        description_en=found.description_en,
        amount_description_zh=found.amount_description_zh,
        amount_description_en=found.amount_description_en,
        problems=[ProblemOut(**p.__dict__) for p in found.problems],
        builder=found.builder,
    )


@router.get(
    "/rules/attributes",
    response_model=AttributesOut,
    summary="Attributes the condition builder offers",
    description="Key, labels, type, whether yearly, unit, short code lists and the operators per "
    "attribute; with the operator labels and the periods.",
)
def rule_attributes(actor: CurrentActor) -> AttributesOut:
    return AttributesOut(
        attributes=[AttributeOut(**a) for a in rule_tools.catalogue_for(actor)],
        operators=rule_tools.operator_labels(),
        periods=rule_tools.periods(),
    )


@router.post(
    "/rules/preview",
    response_model=PreviewOut,
    summary="Who qualifies for a rule now",
    description="The population engine over the latest profile snapshot: eligible and likely "
    "counts, estimated amounts, by district and industry section. 422 with ``problems`` when the "
    "rule does not check.",
)
def preview_rule(request: Request, db: DB, actor: CurrentActor, body: RuleIn) -> Response:
    try:
        found = rule_tools.preview_rule(db, actor, body.condition, body.amount)
    except RuleInvalid as error:
        return _rule_problem(request, error)
    out = PreviewOut(available=found is not None, preview=found)
    return JSONResponse(out.model_dump(mode="json"))
