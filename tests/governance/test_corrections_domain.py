"""The correction state machine, the overdue rule and attachment limits (pure)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongban.governance import corrections_domain as domain
from tongban.governance.corrections_domain import Action, Status
from tongban.kernel.errors import InvalidTransition, ValidationFailed

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8


@settings(deadline=None)
@given(st.lists(st.sampled_from(list(Action)), max_size=6))
def test_any_sequence_closes_at_most_once_and_only_from_open(sequence: list[Action]) -> None:
    status = Status.OPEN
    moves = 0
    for action in sequence:
        before = status
        try:
            status = domain.next_status(status, action)
        except InvalidTransition as error:
            assert before is not Status.OPEN
            assert error.code == "correction_closed"
            continue
        moves += 1
        assert before is Status.OPEN
        assert status is {Action.ACCEPT: Status.ACCEPTED, Action.REJECT: Status.REJECTED}.get(
            action, Status.WITHDRAWN
        )
    assert moves == (1 if sequence else 0)
    assert (status is Status.OPEN) == (not sequence)


@settings(deadline=None)
@given(st.sampled_from(list(Status)), st.dates(), st.integers(min_value=-30, max_value=30))
def test_overdue_only_when_open_and_past_the_deadline(status: Status, deadline: date, shift: int) -> None:
    try:
        today = deadline + timedelta(days=shift)
    except OverflowError:
        return
    assert domain.is_overdue(status, deadline, today) == (status is Status.OPEN and shift > 0)


def test_a_rejection_needs_a_reason() -> None:
    with pytest.raises(ValidationFailed) as caught:
        domain.require_reason(Action.REJECT, "  ")
    assert caught.value.fields[0].field == "reason"
    assert domain.require_reason(Action.ACCEPT, "") == ""
    assert domain.require_reason(Action.REJECT, " 与登记一致 ") == "与登记一致"


def test_filing_needs_an_explanation_and_a_value() -> None:
    problems = domain.check_filing("", "")
    assert {p.field for p in problems} == {"explanation", "proposed_value"}
    assert domain.check_filing("地址已变更", "新地址") == []
    assert domain.check_filing("x" * 3000, "v")[0].field == "explanation"


@pytest.mark.parametrize(
    ("name", "head", "size", "ok"),
    [
        ("营业执照.pdf", PDF, 100, True),
        ("照片.PNG", PNG, 100, True),
        ("C:\\path\\to\\证明.pdf", PDF, 100, True),
        ("evil.exe", b"MZ", 100, False),
        ("fake.pdf", PNG, 100, False),
        ("big.pdf", PDF, domain.MAX_ATTACHMENT_BYTES + 1, False),
        ("empty.png", b"", 0, False),
        ("noext", PDF, 10, False),
    ],
)
def test_attachment_limits(name: str, head: bytes, size: int, ok: bool) -> None:
    if ok:
        checked = domain.check_attachment(name, size, head)
        assert "/" not in checked.name and "\\" not in checked.name
        assert checked.content_type in domain.ATTACHMENT_TYPES.values()
    else:
        with pytest.raises(ValidationFailed) as caught:
            domain.check_attachment(name, size, head)
        assert caught.value.fields[0].field == "attachment"


def test_deadline_days_are_bounded() -> None:
    assert domain.check_deadline_days(5) == 5
    for bad in (0, 61):
        with pytest.raises(ValidationFailed):
            domain.check_deadline_days(bad)
