"""E-mail: a decision writes its mail in the same transaction, `flask tracker send-mail` delivers it to a real SMTP
server (aiosmtpd, started here), preferences (off, daily summary), the digest of waiting sessions, two senders at
once, failures with backoff on the admin's outbox page and Retry, and the public unsubscribe link."""
from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from tracker import mail_delivery
from tracker.extensions import db
from tracker.models import (HistoryEvent, MailKind, MailMode, MailPreference, MailStatus, OutboxMessage,
                            SessionStatus, StudioSession, utcnow)
from tracker.services import mail as mail_service
from tracker.services import milestones, review

from .html_support import page_html

PUBLIC_URL = "https://tracker.example.edu"
LINK_RE = re.compile(r"https://tracker\.example\.edu/\S+")


# ---------------------------------------------------------------- a real SMTP server

class Inbox:
    """aiosmtpd's handler: keeps every message it accepts, parsed."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m, rcpt in zip(self.messages, self.recipients) if address in rcpt]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SMTPServer:
    """An aiosmtpd server on a free local port, which a test can stop (to make sending fail) and start again."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = _free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app, monkeypatch):
    """A running SMTP server the app sends to (MAIL_BACKEND=smtp), links under PUBLIC_URL."""
    server = SMTPServer()
    server.start()
    for key, value in {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": server.port,
                       "MAIL_TIMEOUT": 5, "PUBLIC_URL": PUBLIC_URL, "MAIL_FROM": "Tracker <tracker@example.edu>",
                       "MAIL_MAX_ATTEMPTS": 3, "MAIL_RETRY_SECONDS": 60, "MAIL_SEND_AT_ONCE": False}.items():
        monkeypatch.setitem(app.config, key, value)
    yield server
    server.stop()


def _send(runner) -> str:
    result = runner.invoke(args=["tracker", "send-mail", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def _outbox(**where) -> list[OutboxMessage]:
    db.session.rollback()
    db.session.expire_all()
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(db.session.scalars(query))


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _decide(client, session: StudioSession, button="approve", note=""):
    return client.post_form(f"/review/sessions/{session.id}", {button: "x", "note": note, "version": session.version})


@pytest.fixture
def cast(login_as, make_student):
    """A logged-in supervisor and one student of theirs."""
    faculty = login_as("faculty", name="Prof. Lena Adler")
    return faculty, make_student(name="Robin Vega", email="robin@example.edu")


# ---------------------------------------------------------------- a decision's mail, end to end

def test_a_decision_queues_a_mail_that_send_mail_delivers_with_its_text_and_unsubscribe_link(
        client, runner, smtp, cast, make_session):
    faculty, student = cast
    session = make_session(student, faculty, hours=3)
    assert _decide(client, session, "send_back", "Add the project name.").status_code == 302
    (queued,) = _outbox()
    assert (queued.recipient_id, queued.kind, queued.status) == (student.id, MailKind.SESSION_REVIEWED,
                                                                  MailStatus.QUEUED)
    assert smtp.inbox.messages == []  # nothing is sent by the request itself

    assert "Sent 1" in _send(runner)
    (delivered,) = smtp.inbox.to("robin@example.edu")
    assert delivered["Subject"].startswith("Prof. Lena Adler sent back your 3-hour session")
    assert delivered["From"] == "Tracker <tracker@example.edu>"
    text = _text(delivered)
    assert "Add the project name." in text
    links = LINK_RE.findall(text)
    assert f"{PUBLIC_URL}/studio/sessions/{session.id}" in links
    unsubscribe = next(link for link in links if "/mail/unsubscribe/" in link)
    assert delivered["List-Unsubscribe"].startswith(f"<{unsubscribe}/one-click")
    assert delivered["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    (sent,) = _outbox()
    assert sent.status == MailStatus.SENT and sent.attempts == 1 and sent.sent_at is not None
    assert "Sent" not in _send(runner)  # nothing twice
    assert len(smtp.inbox.messages) == 1


def test_a_decision_rolled_back_leaves_no_mail_behind(app, cast, make_session, monkeypatch):
    faculty, student = cast
    session = make_session(student, faculty)

    def failing_commit():
        raise RuntimeError("the database went away at commit")

    monkeypatch.setattr(db.session, "commit", failing_commit)
    with pytest.raises(RuntimeError):
        review.decide(session, "approve", "", actor=faculty, session_link=lambda i: f"/studio/sessions/{i}")
    monkeypatch.undo()
    db.session.rollback()
    assert _outbox() == []
    assert db.session.get(StudioSession, session.id).status == SessionStatus.PENDING


def test_a_milestone_sign_off_mails_the_student_a_link_to_their_milestones(demo_program, make_user, make_student,
                                                                           runner, smtp):
    advisor = make_user("faculty", name="Dr. Clara Lindqvist")
    student = make_student(advisor=advisor, track="thesis", email="sofia@example.edu")
    milestones.sign_off(advisor, student.id, "proposal", date.today(), "", milestones_link="/progress/milestones")
    _send(runner)
    (delivered,) = smtp.inbox.to("sofia@example.edu")
    assert "was signed off" in delivered["Subject"]
    assert f"{PUBLIC_URL}/progress/milestones" in _text(delivered)
    assert "Dr. Clara Lindqvist signed off" in _text(delivered)


def test_an_admin_issued_reset_link_is_mailed_then_forgotten_by_the_outbox(client, login_as, make_user, runner,
                                                                          smtp):
    login_as("admin")
    user = make_user("faculty", email="newprof@example.edu")
    page = page_html(client.post_form(f"/admin/users/{user.id}/reset-link"))
    shown = re.search(r'value="(http[^"]+/auth/reset/[^"]+)"', page).group(1)
    token = shown.rsplit("/", 1)[1]
    _send(runner)
    (delivered,) = smtp.inbox.to("newprof@example.edu")
    assert f"{PUBLIC_URL}/auth/reset/{token}" in _text(delivered)
    (sent,) = _outbox()
    assert token not in sent.body_text and sent.status == MailStatus.SENT


def test_the_file_backend_writes_one_eml_per_message(app, runner, cast, make_session, client, monkeypatch, tmp_path):
    faculty, student = cast
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "file")
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", str(tmp_path / "mail"))
    _decide(client, make_session(student, faculty))
    _decide(client, make_session(student, faculty, start="15:00"))
    _send(runner)
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == "Robin Vega <robin@example.edu>" and "/mail/unsubscribe/" in _text(message)


def test_mail_send_at_once_delivers_right_after_the_commit(app, client, smtp, cast, make_session, monkeypatch):
    faculty, student = cast
    monkeypatch.setitem(app.config, "MAIL_SEND_AT_ONCE", True)
    _decide(client, make_session(student, faculty))
    assert len(smtp.inbox.to("robin@example.edu")) == 1
    assert [m.status for m in _outbox()] == [MailStatus.SENT]


def test_mail_send_at_once_leaves_a_failure_queued_and_the_decision_stands(app, client, smtp, cast, make_session,
                                                                           monkeypatch):
    faculty, student = cast
    monkeypatch.setitem(app.config, "MAIL_SEND_AT_ONCE", True)
    smtp.stop()
    session = make_session(student, faculty)
    assert _decide(client, session).status_code == 302
    (message,) = _outbox()
    assert message.status == MailStatus.QUEUED and message.attempts == 1 and message.last_error
    assert db.session.get(StudioSession, session.id).status == SessionStatus.APPROVED


# ---------------------------------------------------------------- preferences

def test_preferences_off_sends_nothing_and_daily_folds_into_one_summary(client, runner, smtp, login_as,
                                                                         make_user, make_session):
    student = login_as("student", email="kim@example.edu")
    assert "E-mail preferences" in page_html(client.get("/", follow_redirects=True))
    page = page_html(client.get("/mail/preferences"))
    assert "A supervisor reviewed one of my studio sessions" in page and "Studio sessions are waiting" not in page
    response = client.post_form("/mail/preferences", {"session_reviewed": "daily", "milestone_signed_off": "off",
                                                      "booking_reminder": "immediate", "password_reset": "immediate"})
    assert response.status_code == 302
    assert mail_service.modes_for(student.id)[MailKind.SESSION_REVIEWED] == MailMode.DAILY
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "mail.preferences_changed"))
    assert event.changes == {"session_reviewed": ["immediate", "daily"], "milestone_signed_off": ["immediate", "off"]}

    faculty = make_user("faculty", name="Prof. Ames")
    link = lambda i: f"/studio/sessions/{i}"  # noqa: E731
    for start in ("09:00", "14:00"):
        session = make_session(student, faculty, start=start)
        review.decide(session, "approve", "", actor=faculty, session_link=link)
    assert [m.status for m in _outbox()] == [MailStatus.HELD, MailStatus.HELD]
    _send(runner)
    assert smtp.inbox.messages == []  # held for the summary

    result = runner.invoke(args=["tracker", "mail-digest"])
    assert "1 daily summaries (2 messages folded in)" in result.output
    _send(runner)
    (summary,) = smtp.inbox.to("kim@example.edu")
    assert summary["Subject"] == "Daily summary: 2 sessions reviewed"
    assert _text(summary).count("Prof. Ames approved your 4-hour session") == 2
    assert sorted(m.status for m in _outbox()) == sorted([MailStatus.MERGED, MailStatus.MERGED, MailStatus.SENT])

    # Off: nothing at all is written.
    client.post_form("/mail/preferences", {"session_reviewed": "off", "milestone_signed_off": "off",
                                           "booking_reminder": "immediate", "password_reset": "immediate"})
    review.decide(make_session(student, faculty, start="19:00"), "approve", "", actor=faculty, session_link=link)
    assert len(_outbox()) == 3


def test_the_preferences_form_refuses_a_choice_a_kind_does_not_offer(client, login_as):
    faculty = login_as("faculty")
    response = client.post_form("/mail/preferences", {"sessions_waiting": "immediate", "booking_reminder": "bogus",
                                                      "password_reset": "daily"})
    page = page_html(response)
    assert response.status_code == 200 and page.count("is-invalid") >= 3
    assert db.session.scalar(sa.select(sa.func.count(MailPreference.id))) == 0
    assert mail_service.modes_for(faculty.id)[MailKind.SESSIONS_WAITING] == MailMode.DAILY


# ---------------------------------------------------------------- the digest of waiting sessions

def test_the_digest_sends_each_supervisor_one_mail_listing_their_waiting_sessions(runner, smtp, make_user,
                                                                                 make_student, make_session):
    ames = make_user("faculty", name="Prof. Ames", email="ames@example.edu")
    boyd = make_user("faculty", name="Prof. Boyd", email="boyd@example.edu")
    quiet = make_user("faculty", email="quiet@example.edu")
    db.session.add(MailPreference(user_id=quiet.id, kind=MailKind.SESSIONS_WAITING, mode=MailMode.OFF))
    db.session.commit()
    one, two = make_student(name="Student One"), make_student(name="Student Two")
    make_session(one, ames, start="09:00")
    make_session(one, ames, start="14:00", hours=2)
    make_session(two, ames)
    make_session(two, ames, status="approved", start="20:00")
    make_session(two, boyd)
    make_session(one, quiet, start="18:00")
    # One review decision (immediate) beside them: the digest is not one mail per session.
    result = runner.invoke(args=["tracker", "mail-digest"])
    assert "Queued 2 summaries of waiting sessions" in result.output
    assert "Queued 0 summaries" in runner.invoke(args=["tracker", "mail-digest"]).output  # once a day
    _send(runner)
    (to_ames,) = smtp.inbox.to("ames@example.edu")
    assert to_ames["Subject"] == "3 studio sessions waiting for your review"
    text = _text(to_ames)
    assert text.count("- Student One") == 2 and text.count("- Student Two") == 1
    assert f"{PUBLIC_URL}/review" in text
    (to_boyd,) = smtp.inbox.to("boyd@example.edu")
    assert to_boyd["Subject"] == "1 studio session waiting for your review"
    assert smtp.inbox.to("quiet@example.edu") == []


# ---------------------------------------------------------------- several senders, failures, retry

def test_two_senders_at_once_send_each_message_exactly_once(app, smtp, make_user):
    users = [make_user("student", email=f"s{i}@example.edu") for i in range(12)]
    for user in users:
        for n in range(2):
            mail_service.enqueue(user.id, MailKind.BOOKING_REMINDER, f"Reminder {n}", "Your booking starts soon.")
    db.session.commit()
    results, errors = [], []

    def sender():
        try:
            with app.app_context():
                results.append(mail_delivery.send_due(app, 100))
        except Exception as err:  # pragma: no cover - shown by the assert below
            errors.append(err)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(r.sent for r in results) == 24
    ids = [m["Message-ID"] for m in smtp.inbox.messages]
    assert len(ids) == 24 and len(set(ids)) == 24
    assert {m.status for m in _outbox()} == {MailStatus.SENT}
    assert all(m.attempts == 1 for m in _outbox())


def test_an_smtp_failure_is_retried_with_backoff_then_failed_shown_to_admins_and_retry_works(
        app, client, runner, smtp, login_as, make_user):
    student = make_user("student", email="lee@example.edu")
    mail_service.enqueue(student.id, MailKind.BOOKING_REMINDER, "Studio A at 10:00", "Your booking starts soon.")
    db.session.commit()
    smtp.stop()

    before = utcnow()
    assert "to retry 1" in _send(runner)
    (message,) = _outbox()
    assert message.status == MailStatus.QUEUED and message.attempts == 1 and "Connection" in message.last_error
    first_wait = message.next_attempt_at - before
    assert timedelta(seconds=55) < first_wait < timedelta(seconds=65)
    assert "Sent" not in _send(runner)  # not due yet: nothing tried

    def make_due():
        db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()

    make_due()
    before = utcnow()
    _send(runner)
    (message,) = _outbox()
    assert message.attempts == 2
    assert timedelta(seconds=115) < message.next_attempt_at - before < timedelta(seconds=125)  # doubled
    make_due()
    assert "failed 1" in _send(runner)
    (message,) = _outbox()
    assert message.status == MailStatus.FAILED and message.attempts == 3

    login_as("admin")
    page = page_html(client.get("/mail/outbox"))
    assert f'id="message-{message.id}"' in page and "Studio A at 10:00" in page and "lee@example.edu" in page
    assert "Connection" in page and "Retry" in page
    assert "Failed (1)" in page_html(client.get("/mail/outbox?state=failed"))

    smtp.start()
    response = client.post_form(f"/mail/outbox/{message.id}/retry")
    assert response.status_code == 302
    (message,) = _outbox()
    assert message.status == MailStatus.QUEUED and message.attempts == 0
    assert db.session.scalar(sa.select(HistoryEvent.action).where(HistoryEvent.entity_type == "outbox_message")) \
        == "mail.retried"
    _send(runner)
    assert len(smtp.inbox.to("lee@example.edu")) == 1
    assert _outbox()[0].status == MailStatus.SENT
    # A message that is not failed (any more) cannot be retried; an unknown one is refused too.
    assert client.post_form(f"/mail/outbox/{message.id}/retry").status_code == 302
    assert _outbox()[0].status == MailStatus.SENT
    assert client.post_form("/mail/outbox/99999999/retry").status_code == 302
    assert client.post_form(f"/mail/outbox/{2**64}/retry").status_code == 404


def test_a_sender_that_died_mid_send_gives_its_message_back(app, smtp, make_user):
    user = make_user("student", email="gone@example.edu")
    mail_service.enqueue(user.id, MailKind.BOOKING_REMINDER, "Reminder", "Soon.")
    db.session.commit()
    db.session.execute(sa.update(OutboxMessage).values(status=MailStatus.SENDING,
                                                       next_attempt_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert mail_delivery.send_due(app).sent == 1
    assert len(smtp.inbox.to("gone@example.edu")) == 1


def test_the_outbox_page_runs_the_same_queries_for_more_messages(client, login_as, make_user, count_queries):
    login_as("admin")

    def add(n):
        for i in range(n):
            user = make_user("student")
            mail_service.enqueue(user.id, MailKind.BOOKING_REMINDER, f"Reminder {i}", "Soon.")
        db.session.commit()

    def count() -> int:
        with count_queries() as q:
            assert client.get("/mail/outbox").status_code == 200
        return q.count

    add(2)
    small = count()
    add(10)
    assert count() == small


def test_only_admins_see_the_outbox(client, login_as):
    login_as("faculty")
    assert client.get("/mail/outbox").status_code == 403


# ---------------------------------------------------------------- unsubscribe

def test_the_unsubscribe_link_in_a_mail_works_logged_out(app, client, runner, smtp, cast, make_session):
    faculty, student = cast
    _decide(client, make_session(student, faculty))
    _send(runner)
    (delivered,) = smtp.inbox.to("robin@example.edu")
    link = next(link for link in LINK_RE.findall(_text(delivered)) if "/mail/unsubscribe/" in link)
    path = link.removeprefix(PUBLIC_URL)

    anonymous = app.test_client()
    page = page_html(anonymous.get(path))
    assert "robin@example.edu" in page and "Stop these e-mails" in page
    assert mail_service.mode_for(student.id, MailKind.SESSION_REVIEWED) == MailMode.IMMEDIATE  # GET changes nothing
    response = anonymous.post_form(path, {})
    assert response.status_code == 200 and "gets no more e-mails" in page_html(response)
    assert mail_service.mode_for(student.id, MailKind.SESSION_REVIEWED) == MailMode.OFF
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "mail.unsubscribed"))
    assert event.actor_id == student.id
    # The other kinds are untouched.
    assert mail_service.mode_for(student.id, MailKind.MILESTONE_SIGNED_OFF) == MailMode.IMMEDIATE


def test_a_mail_programs_one_click_unsubscribe_needs_no_page(app, make_user):
    user = make_user("faculty")
    token = mail_service.unsubscribe_token(user.id, MailKind.SESSIONS_WAITING)
    anonymous = app.test_client()
    response = anonymous.post(f"/mail/unsubscribe/{token}/one-click", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert mail_service.mode_for(user.id, MailKind.SESSIONS_WAITING) == MailMode.OFF
    assert anonymous.get(f"/mail/unsubscribe/{token}/one-click").status_code == 302  # a browser: the page asks


def _forged(secret: str, payload) -> str:
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(secret, salt=mail_service.UNSUBSCRIBE_SALT).dumps(payload)


@pytest.mark.parametrize("token", [
    "x", "a" * 5000, "WzEsInNlc3Npb25fcmV2aWV3ZWQiXQ.forged", "%00", "..%2F..%2Fetc",
    _forged("another-secret", [1, "session_reviewed"]),
    _forged("testing-secret", [1, "no_such_kind"]),
    _forged("testing-secret", ["1", "session_reviewed"]),
    _forged("testing-secret", [2**70, "session_reviewed"]),
    _forged("testing-secret", {"user": 1}),
    _forged("testing-secret", [999999, "session_reviewed"]),
])
def test_bad_or_oversized_unsubscribe_tokens_get_a_4xx_never_a_500(app, token):
    anonymous = app.test_client()
    for response in (anonymous.get(f"/mail/unsubscribe/{token}"),
                     anonymous.post(f"/mail/unsubscribe/{token}/one-click")):
        assert 400 <= response.status_code < 500, response.status_code
    assert db.session.scalar(sa.select(sa.func.count(MailPreference.id))) == 0


def test_mail_to_a_deactivated_account_fails_at_once_without_retrying(app, smtp, make_user):
    user = make_user("student", email="left@example.edu", active=False)
    mail_service.enqueue(user.id, MailKind.BOOKING_REMINDER, "Reminder", "Soon.")
    db.session.commit()
    assert mail_delivery.send_due(app).failed == 1
    (message,) = _outbox()
    assert message.status == MailStatus.FAILED and "deactivated" in message.last_error
    assert smtp.inbox.messages == []


# ---------------------------------------------------------------- booking reminders

def _bookable_studio(make_studio):
    from tracker.models import StudioOpeningHours
    studio = make_studio("Studio A")
    db.session.add_all(StudioOpeningHours(studio_id=studio.id, weekday=day, opens_at=time(0, 0),
                                          closes_at=time(23, 45)) for day in range(7))
    db.session.commit()
    return studio


def _book(student, studio, day, start, end=None):
    from tracker.services import bookings
    start_at = datetime.combine(day, start)
    return bookings.book(student, studio.id, None, day, start, end or (start_at + timedelta(hours=2)).time(),
                         "Tracking drums", booking_link=lambda booking_id: f"/bookings/{booking_id}")


def test_a_booking_is_reminded_the_day_before_and_a_cancelled_one_is_not(app, runner, smtp, make_student,
                                                                         make_studio, monkeypatch):
    from tracker.services import bookings
    monkeypatch.setitem(app.config, "APP_TIMEZONE", "America/New_York")
    student = make_student(name="Robin Vega", email="robin@example.edu")
    studio = _bookable_studio(make_studio)
    day = date.today() + timedelta(days=3)
    booking = _book(student, studio, day, time(14, 0))
    (reminder,) = _outbox(kind=MailKind.BOOKING_REMINDER)
    starts = datetime.combine(day, time(14, 0), tzinfo=ZoneInfo("America/New_York"))
    assert reminder.next_attempt_at == starts.astimezone(timezone.utc) - timedelta(hours=24)
    assert reminder.booking_id == booking.id and reminder.status == MailStatus.QUEUED

    _send(runner)
    assert smtp.inbox.messages == []  # not due yet
    db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    _send(runner)
    (mail,) = smtp.inbox.to("robin@example.edu")
    assert mail["Subject"] == f"Reminder: Studio A, {day:%A %-d %B} 14:00–16:00"
    assert f"{PUBLIC_URL}/bookings/{booking.id}" in _text(mail) and "cancel the booking" in _text(mail)

    # A second booking, cancelled before its reminder is due: the reminder goes with it.
    other = _book(student, studio, day + timedelta(days=1), time(9, 0))
    assert len(_outbox(kind=MailKind.BOOKING_REMINDER, booking_id=other.id)) == 1
    bookings.cancel(student, db.session.get(type(other), other.id))
    assert _outbox(kind=MailKind.BOOKING_REMINDER, booking_id=other.id) == []


def test_no_reminder_for_a_booking_made_less_than_a_day_ahead_or_when_turned_off(app, make_student, make_studio):
    student = make_student()
    studio = _bookable_studio(make_studio)
    soon = datetime.now() + timedelta(hours=3)
    _book(student, studio, soon.date(), time(soon.hour, 0) if soon.hour < 21 else time(21, 0))
    assert _outbox(kind=MailKind.BOOKING_REMINDER) == []
    mail_service.set_modes(student, {MailKind.BOOKING_REMINDER.value: MailMode.OFF.value},
                           [MailKind.BOOKING_REMINDER])
    _book(student, studio, date.today() + timedelta(days=4), time(10, 0))
    assert _outbox(kind=MailKind.BOOKING_REMINDER) == []
