"""The pure rules of publishing: transitions, the four-eyes rule, windows, expiry, validation and
"就高不重复" (no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.policy.world import item_fields, policy_fields
from tongban.kernel.errors import ValidationFailed
from tongban.policy import domain
from tongban.policy.domain import Action, ItemClosed, SelfReview, VersionState, WindowState


def test_only_listed_transitions_are_allowed() -> None:
    for state in VersionState:
        for action in Action:
            if (state, action) in domain.TRANSITIONS:
                assert domain.next_state(state, action) is domain.TRANSITIONS[(state, action)]
            else:
                with pytest.raises(ItemClosed):
                    domain.next_state(state, action)


def test_a_published_version_is_never_edited_in_place() -> None:
    with pytest.raises(ItemClosed):
        domain.next_state(VersionState.PUBLISHED, Action.EDIT)
    with pytest.raises(ItemClosed):
        domain.next_state(VersionState.IN_REVIEW, Action.EDIT)


def test_four_eyes() -> None:
    with pytest.raises(SelfReview):
        domain.check_reviewer(7, 7)
    domain.check_reviewer(7, 8)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 3, 31), WindowState.UPCOMING),
        (date(2026, 4, 1), WindowState.OPEN),
        (date(2026, 12, 16), WindowState.OPEN),
        (date(2026, 12, 17), WindowState.CLOSING_SOON),
        (date(2026, 12, 31), WindowState.CLOSING_SOON),
        (date(2027, 1, 1), WindowState.CLOSED),
    ],
)
def test_window_state(today: date, expected: WindowState) -> None:
    assert domain.window_state(date(2026, 4, 1), date(2026, 12, 31), today) is expected


def test_open_ended_windows() -> None:
    assert domain.window_state(None, None, date(2030, 1, 1)) is WindowState.OPEN
    assert domain.is_expired(None, None, date(2030, 1, 1)) is False
    assert domain.is_expired(date(2026, 12, 31), date(2026, 6, 30), date(2026, 7, 1)) is True
    assert domain.is_expired(date(2026, 12, 31), None, date(2026, 12, 31)) is False


def test_item_validation_reports_every_problem_at_once() -> None:
    fields = item_fields(
        title=" ",
        support_types=("subsidy", "bribes"),
        window_opens=date(2026, 5, 1),
        window_closes=date(2026, 4, 1),
        annual_budget_fen=-1,
    )
    with pytest.raises(ValidationFailed) as error:
        domain.check_item(fields)
    assert {p.field for p in error.value.fields} == {
        "title",
        "support_types",
        "window_closes",
        "annual_budget",
    }


def test_item_validation_cleans_lists() -> None:
    clean = domain.check_item(
        item_fields(materials=(" 营业执照 ", "", "营业执照"), support_types=("tax", "tax"))
    )
    assert clean.materials == ("营业执照", "营业执照")
    assert clean.support_types == ("tax",)


def test_policy_dates_in_order() -> None:
    with pytest.raises(ValidationFailed) as error:
        domain.check_policy(policy_fields(effective_on=date(2026, 3, 1), expires_on=date(2026, 2, 1)))
    assert [p.field for p in error.value.fields] == ["expires_on"]
    with pytest.raises(ValidationFailed):
        domain.check_policy(replace(policy_fields(), source_url="javascript:alert(1)"))


def test_exclusive_group_keeps_the_higher_amount() -> None:
    amounts = {"A": ("srdi", 50_000_00), "B": ("srdi", 100_000_00), "C": ("", 1), "D": ("other", 5)}
    assert domain.exclusive_winners(amounts) == {"B", "C", "D"}


@given(
    st.dictionaries(
        st.text("ABCDEFGH", min_size=1, max_size=3),
        st.tuples(st.sampled_from(["", "g1", "g2"]), st.integers(0, 10**9)),
        max_size=12,
    )
)
def test_exclusive_winners_one_per_group_and_the_best(amounts: dict[str, tuple[str, int]]) -> None:
    winners = domain.exclusive_winners(amounts)
    for group in {g for g, _ in amounts.values() if g}:
        members = {c: fen for c, (g, fen) in amounts.items() if g == group}
        chosen = [c for c in members if c in winners]
        assert len(chosen) == 1
        assert members[chosen[0]] == max(members.values())
    assert all(code in winners for code, (group, _) in amounts.items() if not group)


def test_closing_soon_is_two_weeks() -> None:
    closes = date(2026, 6, 30)
    assert domain.window_state(None, closes, closes - timedelta(days=domain.CLOSING_SOON_DAYS)) is (
        WindowState.CLOSING_SOON
    )
    assert (
        domain.window_state(None, closes, closes - timedelta(days=domain.CLOSING_SOON_DAYS + 1))
        is WindowState.OPEN
    )
