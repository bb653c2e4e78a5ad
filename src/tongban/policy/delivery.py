"""Delivery (送达): tell matched enterprises about the items meant for them, remind them before a
window closes, and count the funnel matched → notified → opened → viewed → applied.

Notifications go through the outbox (notify/outbox.py), one per enterprise account × item version
× channel, named by a dedupe key ``policy:<kind>:<item>:<version>:<USCC>:<channel>:<user>`` so a
resumed match run or a second nightly reminder queues nothing twice. ``kind`` is ``new`` for a
match and ``close<N>`` for the reminder N working days before the window closes.

The inbox always receives; e-mail and SMS follow the account's preferences (notify/preferences.py):
wanted, address on file, topic (the item's support types) wanted, and outside the quiet hours
(otherwise they wait until the quiet period ends). Texts are in the recipient's language.

Funnel steps are ``Engagement`` rows, each counted once per enterprise and version:
"matched" when a match run hands a subject over, "notified" when the outbox reports a message
sent (``MessageSent``), "opened" when the recipient opens it (``MessageOpened``: the inbox, or
the e-mail link), "viewed" and "applied" from the portal and applications (``record_step``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tongban.config import get_settings
from tongban.kernel import events, workdays
from tongban.kernel.accounts.models import User
from tongban.kernel.audit import service as audit
from tongban.kernel.clock import now
from tongban.kernel.errors import N_
from tongban.kernel.i18n import DEFAULT_LANGUAGE, format_date, translate
from tongban.kernel.permissions import Actor, Permission, Role, require
from tongban.notify import outbox
from tongban.notify.channels import EMAIL, INBOX, SMS
from tongban.notify.preferences import Preferences, preferences_of
from tongban.policy.models import Engagement, ItemVersion, Match, PolicyItem
from tongban.rules.explain import money_text

STEPS = ("matched", "notified", "opened", "viewed", "applied")
NEW = "new"
REMINDER_WORKING_DAYS = 3
KEY_PREFIX = "policy"
_CHUNK = 1000
_SYSTEM = Actor.system("delivery")


# --- funnel steps --------------------------------------------------------------------------------


def _insert_engagements(session: Session, rows: list[dict[str, Any]]) -> int:
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    added = 0
    for start in range(0, len(rows), _CHUNK):
        statement = (
            module.insert(Engagement)
            .values(rows[start : start + _CHUNK])
            .on_conflict_do_nothing(index_elements=["version_id", "subject", "step"])
            .returning(Engagement.id)
        )
        added += len(session.execute(statement).all())  # rowcount is not reliable on every driver
    return added


def record_step(session: Session, item_id: int, version_id: int, subject: str, step: str) -> bool:
    """Count one funnel step of an enterprise for an item version; True when it is new."""
    if step not in STEPS:
        raise ValueError(f"unknown funnel step {step!r}")
    row = {"item_id": item_id, "version_id": version_id, "subject": subject, "step": step, "at": now()}
    return _insert_engagements(session, [row]) == 1


# --- dedupe keys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    kind: str
    item_id: int
    version_id: int
    subject: str
    channel: str
    user_id: int

    def __str__(self) -> str:
        return ":".join(
            (
                KEY_PREFIX,
                self.kind,
                str(self.item_id),
                str(self.version_id),
                self.subject,
                self.channel,
                str(self.user_id),
            )
        )

    @classmethod
    def parse(cls, text: str) -> Key | None:
        parts = text.split(":")
        if len(parts) != 7 or parts[0] != KEY_PREFIX:
            return None
        try:
            return cls(parts[1], int(parts[2]), int(parts[3]), parts[4], parts[5], int(parts[6]))
        except ValueError:
            return None


def _on_sent(session: Session, event: outbox.MessageSent) -> None:
    key = Key.parse(event.dedupe_key)
    if key is not None:
        record_step(session, key.item_id, key.version_id, key.subject, "notified")


def _on_opened(session: Session, event: outbox.MessageOpened) -> None:
    key = Key.parse(event.dedupe_key)
    if key is not None:
        record_step(session, key.item_id, key.version_id, key.subject, "opened")


events.subscribe(outbox.MessageSent, _on_sent)
events.subscribe(outbox.MessageOpened, _on_opened)


def opened_from_link(session: Session, token: str, *, key: str | None = None) -> None:
    """The portal page was reached from a notification's link (``?n=<token>``): count "opened".
    ``key`` is the signing key (the app's settings); by default the configured one."""
    outbox.opened_from_token(session, token, key or get_settings().signing_key)


# --- messages ------------------------------------------------------------------------------------


def amount_text(low: int | None, high: int | None, language: str) -> str:
    """The amount line of a message: one amount, a range, "from", or nothing without a formula."""
    if low is None and high is None:
        return ""
    if high is None:
        return translate(N_("Amount: from {low}."), language, low=money_text(low or 0, language))
    if low is None or low == high:
        return translate(N_("Amount: {amount}."), language, amount=money_text(high, language))
    return translate(
        N_("Amount: {low} to {high}."),
        language,
        low=money_text(low, language),
        high=money_text(high, language),
    )


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


def _new_text(version: ItemVersion, match: Match | None, language: str) -> Text:
    lines = [
        translate(N_("A policy item may apply to your enterprise: {title}."), language, title=version.title)
    ]
    if match is not None:
        lines.append(amount_text(match.amount_low, match.amount_high, language))
        if match.status == "likely":
            lines.append(
                translate(N_("Some of your data is missing: the item page shows what to provide."), language)
            )
    if version.no_application:
        lines.append(translate(N_("No application is needed: it is granted from shared data."), language))
    elif version.window_closes is not None:
        lines.append(
            translate(
                N_("Applications close on {date}."),
                language,
                date=format_date(version.window_closes, language),
            )
        )
    subject = translate(N_("You may qualify for “{title}”"), language, title=version.title)
    return Text(subject, "\n".join(line for line in lines if line))


def _reminder_text(version: ItemVersion, match: Match | None, language: str, days: int) -> Text:
    closes = format_date(version.window_closes, language)
    lines = [
        translate(
            N_("Applications for {title} close on {date}, in {days} working days."),
            language,
            title=version.title,
            date=closes,
            days=days,
        )
    ]
    if match is not None:
        lines.append(amount_text(match.amount_low, match.amount_high, language))
    subject = translate(N_("Closing soon: “{title}”"), language, title=version.title)
    return Text(subject, "\n".join(line for line in lines if line))


# --- recipients ----------------------------------------------------------------------------------


def enterprise_users(session: Session, subjects: Sequence[str]) -> dict[str, list[User]]:
    """Active enterprise accounts by USCC, for the given enterprises."""
    wanted = set(subjects)
    base = select(User).where(User.active.is_(True), User.role == Role.ENTERPRISE, User.uscc.is_not(None))
    users: list[User] = []
    if len(wanted) > _CHUNK:  # many enterprises, few accounts: read the accounts once
        users = [user for user in session.scalars(base) if user.uscc in wanted]
    else:
        users = list(session.scalars(base.where(User.uscc.in_(sorted(wanted)))))
    found: dict[str, list[User]] = {}
    for user in sorted(users, key=lambda u: u.id):
        found.setdefault(str(user.uscc), []).append(user)
    return found


def _channels(user: User, prefs: Preferences, topics: Iterable[str]) -> list[tuple[str, str]]:
    """(channel, address) pairs for one account: the inbox, then what it wants and can receive."""
    chosen = [(INBOX, "")]
    if prefs.wants_topic(topics):
        if prefs.email and user.email:
            chosen.append((EMAIL, user.email))
        if prefs.sms and user.phone:
            chosen.append((SMS, user.phone))
    return chosen


def _messages(
    session: Session,
    kind: str,
    item: PolicyItem,
    version: ItemVersion,
    matches: dict[str, Match | None],
    users: dict[str, list[User]],
    compose: Any,
) -> list[dict[str, Any]]:
    prefs = preferences_of(session, [user.id for group in users.values() for user in group])
    moment = now()
    link = f"/portal/policies/{item.code}"
    topic = version.support_types[0] if version.support_types else ""
    messages: list[dict[str, Any]] = []
    for subject in matches:
        for user in users.get(subject, []):
            wanted = prefs[user.id]
            text: Text = compose(version, matches[subject], user.language or DEFAULT_LANGUAGE)
            for channel, address in _channels(user, wanted, version.support_types):
                later = None if channel == INBOX else wanted.quiet_until(moment)
                key = Key(kind, item.id, version.id, subject, channel, user.id)
                messages.append(
                    {
                        "dedupe_key": str(key),
                        "channel": channel,
                        "user_id": user.id,
                        "address": address,
                        "topic": topic,
                        "subject": text.subject,
                        "body": text.body,
                        "link": link,
                        "not_before": later,
                    }
                )
    return messages


def _matches_of(session: Session, item_id: int, subjects: Sequence[str]) -> dict[str, Match | None]:
    found: dict[str, Match | None] = dict.fromkeys(subjects)
    ordered = list(found)
    for start in range(0, len(ordered), _CHUNK):
        rows = session.scalars(
            select(Match).where(Match.item_id == item_id, Match.subject.in_(ordered[start : start + _CHUNK]))
        )
        found.update({row.subject: row for row in rows})
    return found


def queue_for_matches(session: Session, item_id: int, version_id: int, subjects: Sequence[str]) -> int:
    """Count the subjects as matched and queue a notification for each of their enterprise accounts
    on each channel it wants (deduplicated per enterprise × version × channel × account); returns
    how many messages were newly queued. Runs in the caller's (the match run's) transaction."""
    unique = list(dict.fromkeys(subjects))
    if not unique:
        return 0
    version = session.get(ItemVersion, version_id)
    item = session.get(PolicyItem, item_id)
    if version is None or item is None:
        raise ValueError(f"no item {item_id} version {version_id}")
    moment = now()
    _insert_engagements(
        session,
        [
            {"item_id": item_id, "version_id": version_id, "subject": s, "step": "matched", "at": moment}
            for s in unique
        ],
    )
    users = enterprise_users(session, unique)
    reachable = [subject for subject in unique if subject in users]
    if not reachable:
        return 0
    matches = _matches_of(session, item_id, reachable)
    queued = outbox.enqueue_many(session, _messages(session, NEW, item, version, matches, users, _new_text))
    if queued:
        audit.record(
            session,
            _SYSTEM,
            "policy_delivery.queue",
            "policy_item",
            item_id,
            {"version": version.number, "enterprises": len(reachable), "messages": queued},
            org_id=item.org_id,
        )
    return queued


# --- reminders -----------------------------------------------------------------------------------


def closes_in(window_closes: date, on: date) -> int:
    """Working days left to apply, counted after ``on`` up to and including the closing day."""
    return workdays.working_days_between(on, window_closes)


def applied_subjects(session: Session, item_id: int) -> set[str]:
    """Enterprises that applied for any version of the item."""
    statement = select(Engagement.subject).where(Engagement.item_id == item_id, Engagement.step == "applied")
    return set(session.scalars(statement))


def queue_reminders(session: Session, on: date, working_days: int = REMINDER_WORKING_DAYS) -> int:
    """For every live item whose window closes in exactly ``working_days`` working days after
    ``on``, queue a reminder to its matched enterprises that have not applied; returns how many
    messages were newly queued (once per kind × version × enterprise × channel × account)."""
    from tongban.policy import service

    kind = f"close{working_days}"
    queued = 0
    for live in service.live_items(session):
        version = live.version
        if version.no_application or version.window_closes is None or on > version.window_closes:
            continue
        if version.window_opens is not None and on < version.window_opens:
            continue
        if closes_in(version.window_closes, on) != working_days:
            continue
        done = applied_subjects(session, live.item.id)
        matches: dict[str, Match | None] = {
            match.subject: match
            for match in session.scalars(
                select(Match).where(Match.item_id == live.item.id).order_by(Match.subject)
            )
            if match.subject not in done
        }
        users = enterprise_users(session, list(matches))
        if not users:
            continue

        def compose(version: ItemVersion, match: Match | None, language: str) -> Text:
            return _reminder_text(version, match, language, working_days)

        added = outbox.enqueue_many(
            session, _messages(session, kind, live.item, version, matches, users, compose)
        )
        if added:
            audit.record(
                session,
                _SYSTEM,
                "policy_delivery.remind",
                "policy_item",
                live.item.id,
                {"version": version.number, "working_days": working_days, "messages": added},
                org_id=live.item.org_id,
            )
        queued += added
    return queued


# --- funnel --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionFunnel:
    """The steps of one version: enterprises counted once per step (cumulative)."""

    version_id: int
    number: int
    state: str
    live: bool
    counts: dict[str, int]
    current_matches: int  # matches stored now (enterprises that stopped qualifying drop out)


@dataclass(frozen=True)
class Funnel:
    item_id: int
    code: str
    title: str
    live: VersionFunnel | None
    versions: list[VersionFunnel]


def funnel(session: Session, actor: Actor, item_id: int) -> Funnel:
    """matched → notified → opened → viewed → applied for the live version and per version
    (POLICY_READ within the item's department)."""
    from tongban.kernel.orgs import service as orgs
    from tongban.policy import service

    item = service.get_item(session, item_id)
    require(actor, Permission.POLICY_READ, org_path=orgs.get(session, item.org_id).path)
    counts: dict[int, dict[str, int]] = {}
    rows = session.execute(
        select(Engagement.version_id, Engagement.step, func.count())
        .where(Engagement.item_id == item_id)
        .group_by(Engagement.version_id, Engagement.step)
    )
    for version_id, step, count in rows:
        counts.setdefault(version_id, dict.fromkeys(STEPS, 0))[step] = count
    current: dict[int, int] = {
        version_id: count
        for version_id, count in session.execute(
            select(Match.version_id, func.count()).where(Match.item_id == item_id).group_by(Match.version_id)
        )
    }
    versions = [
        VersionFunnel(
            version.id,
            version.number,
            version.state.value,
            version.id == item.live_version_id,
            counts.get(version.id, dict.fromkeys(STEPS, 0)),
            current.get(version.id, 0),
        )
        for version in service.versions_of(session, item_id)
        if version.published_at is not None
    ]
    live = next((v for v in versions if v.live), None)
    title = live_title = ""
    for version in service.versions_of(session, item_id):
        title = version.title
        if version.id == item.live_version_id:
            live_title = version.title
    return Funnel(item.id, item.code, live_title or title, live, list(reversed(versions)))
