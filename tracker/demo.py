"""The demo program: terms around today, studios, ensembles, accounts and records at different stages.

Used by `flask tracker seed-demo` (idempotent; refused under the production configuration) and by `make run`
on an empty database. Every demo account uses DEMO_PASSWORD, printed in the README.

What the demo holds is data, tracker/demo_data.toml; this module feeds it through the services, each step done by
the person who would do it in a real school: the director creates the accounts, terms, studios and ensembles; each
person sets their password with their one-time link; students add their courses, ensembles and studio sessions; the
supervising advisor reviews the sessions and signs milestones off. The services stamp everything "now", so each
record's history is then dated to when it would have happened (the one thing no service does).

To add a demo student, add a [[students]] table to tracker/demo_data.toml (its header lists the fields); no code
changes. A student whose login already exists is left alone, so seeding again changes nothing.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app

from .extensions import db
from .models import (
    HistoryEvent,
    MilestoneRecord,
    Notification,
    Role,
    SessionStatus,
    StudioActivity,
    StudioBooking,
    StudioClosure,
    StudioOpeningHours,
    StudioRole,
    StudioSession,
    StudioSessionGroup,
    Term,
    User,
)
from .services import (
    accounts,
    admin_accounts,
    admin_catalog,
    admin_terms,
    bookings,
    courses,
    ensembles,
    group_sessions,
    history,
    milestones,
    notifications,
    review,
    studio,
)
from .services.programs import load_program_text

DEMO_DATA_FILE = Path(__file__).parent / "demo_data.toml"
TERMS = ("previous", "current", "next")  # how the data names the three demo terms, oldest first
SESSION_DAYS_APART = 3


# ---------------------------------------------------------------- the data file

REQUIRED = object()
# The keys of each kind of entry in the data file, with the default of each one an entry may leave out.
ENTRY_KEYS = {
    # a course record the student adds; `course` is the course's code in the demo program
    "courses": {"course": REQUIRED, "term": REQUIRED, "status": REQUIRED, "grade": None},
    # an ensemble record the student adds
    "ensembles": {"ensemble": REQUIRED, "term": REQUIRED, "role": REQUIRED},
    # `count` studio sessions of `hours` each, on every third day of the term from `first_day` (weekdays only, never
    # after yesterday); the advisor decides each one (`review`: approve, reject, send_back) or leaves it pending
    # (`booked`: each one booked beforehand and logged from its booking)
    "sessions": {"term": REQUIRED, "count": REQUIRED, "hours": REQUIRED, "project": REQUIRED, "first_day": 3,
                 "review": None, "note": "", "booked": False},
    # a milestone the advisor signed off `days_ago` days before the day of seeding
    "milestones": {"kind": REQUIRED, "days_ago": REQUIRED, "note": ""},
    # a studio booking `in_days` from the day of seeding (negative: a past one, never logged)
    "bookings": {"studio": REQUIRED, "in_days": REQUIRED, "start": REQUIRED, "end": REQUIRED, "purpose": REQUIRED,
                 "project": ""},
}
# The studios' booking calendars, which the director sets up with the studios.
CALENDAR_KEYS = {
    "opening_hours": {"studio": REQUIRED, "days": REQUIRED, "opens": REQUIRED, "closes": REQUIRED},
    "closures": {"studio": REQUIRED, "in_days": REQUIRED, "days": 1, "reason": REQUIRED},
    "blocks": {"studio": REQUIRED, "in_days": REQUIRED, "start": REQUIRED, "end": REQUIRED, "reason": REQUIRED},
}
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A group session (a top-level [[group_sessions]] table): `logged_by` logs it on day `first_day` of `term` (never
# after yesterday), naming each of `participants` with their role; each participant's `answer` (confirm, decline, or
# none: still waiting), then the logger's advisor decides (`review`: approve = every confirmed participant).
GROUP_KEYS = {"logged_by": REQUIRED, "term": REQUIRED, "first_day": REQUIRED, "start": REQUIRED, "hours": REQUIRED,
              "studio": REQUIRED, "activity": REQUIRED, "project": REQUIRED, "role": REQUIRED, "participants": REQUIRED,
              "review": None}
PARTICIPANT_KEYS = {"student": REQUIRED, "role": REQUIRED, "answer": None}
STUDENT_KEYS = {"login": REQUIRED, "name": REQUIRED, "concentration": REQUIRED, "track": REQUIRED,
                "advisor": REQUIRED, "starts": REQUIRED, "session_start": "13:00", **{key: [] for key in ENTRY_KEYS}}


@dataclass(frozen=True)
class DemoSchool:
    """Everything tracker/demo_data.toml describes; people and entries are namespaces of their keys."""

    password: str
    domain: str
    program_file: Path
    director: SimpleNamespace  # login, name
    faculty: tuple[SimpleNamespace, ...]
    studios: tuple[tuple[str, str], ...]  # (name, location)
    ensembles: tuple[tuple[str, str], ...]  # (name, description)
    students: tuple[SimpleNamespace, ...]
    # The studios' booking calendars (CALENDAR_KEYS): empty when the data file has none.
    opening_hours: tuple[SimpleNamespace, ...] = ()
    closures: tuple[SimpleNamespace, ...] = ()
    blocks: tuple[SimpleNamespace, ...] = ()
    group_sessions: tuple[SimpleNamespace, ...] = ()

    def email(self, login: str) -> str:
        return f"{login}@{self.domain}"


def _entry(row: dict, keys: dict, where: str) -> SimpleNamespace:
    """A data file table as a namespace with the defaults filled in, refusing unknown or missing keys."""
    problems = [f"unknown key {key!r}" for key in row if key not in keys]
    problems += [f"missing key {key!r}" for key, default in keys.items() if default is REQUIRED and key not in row]
    if row.get("term", TERMS[0]) not in TERMS or row.get("starts", TERMS[0]) not in TERMS:
        problems.append(f"a term is one of {', '.join(TERMS)}")
    if problems:
        raise ValueError(f"{DEMO_DATA_FILE.name}: {where}: {'; '.join(problems)}")
    return SimpleNamespace(**{**keys, **row})


def _student(row: dict, faculty: set[str]) -> SimpleNamespace:
    where = f"students[{row.get('login', '?')}]"
    student = _entry(row, STUDENT_KEYS, where)
    for key, keys in ENTRY_KEYS.items():
        setattr(student, key, tuple(_entry(item, keys, f"{where}.{key}[{i}]")
                                    for i, item in enumerate(getattr(student, key))))
    student.session_start = time.fromisoformat(student.session_start)
    if student.advisor not in faculty:
        raise ValueError(f"{DEMO_DATA_FILE.name}: {where}.advisor: {student.advisor!r} is not a demo faculty login")
    return student


def _group(row: dict, i: int, students: set[str], studios: set[str]) -> SimpleNamespace:
    where = f"group_sessions[{i}]"
    group = _entry(row, GROUP_KEYS, where)
    group.participants = tuple(_entry(p, PARTICIPANT_KEYS, f"{where}.participants[{n}]")
                               for n, p in enumerate(group.participants))
    group.start = time.fromisoformat(group.start)
    for login in (group.logged_by, *(p.student for p in group.participants)):
        if login not in students:
            raise ValueError(f"{DEMO_DATA_FILE.name}: {where}: {login!r} is not a demo student login")
    if group.studio not in studios:
        raise ValueError(f"{DEMO_DATA_FILE.name}: {where}.studio: {group.studio!r} is not a demo studio")
    return group


def load_school(path: Path = DEMO_DATA_FILE) -> DemoSchool:
    """Read and check the demo's data file."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    person = {"login": REQUIRED, "name": REQUIRED}
    faculty = tuple(_entry(row, person, f"faculty[{i}]") for i, row in enumerate(data["faculty"]))
    return DemoSchool(
        password=data["password"], domain=data["domain"], program_file=path.parent / data["program"],
        director=_entry(data["director"], person, "director"), faculty=faculty,
        studios=tuple((row["name"], row["location"]) for row in data["studios"]),
        ensembles=tuple((row["name"], row["description"]) for row in data["ensembles"]),
        students=tuple(_student(row, {f.login for f in faculty}) for row in data["students"]),
        **{key: tuple(_entry(row, keys, f"{key}[{i}]") for i, row in enumerate(data.get(key, ())))
           for key, keys in CALENDAR_KEYS.items()},
        group_sessions=tuple(_group(row, i, {s["login"] for s in data["students"]}, {s["name"] for s in data["studios"]})
                             for i, row in enumerate(data.get("group_sessions", []))),
    )


SCHOOL = load_school()
DEMO_PASSWORD = SCHOOL.password
DEMO_PROGRAM_FILE = SCHOOL.program_file
DOMAIN = SCHOOL.domain
STUDENTS = SCHOOL.students


# ---------------------------------------------------------------- seeding

def semester_terms(today: date) -> list[tuple[str, date, date]]:
    """The term before the one in progress (or last ended), that term, and the next: spring and fall semesters."""
    terms = []
    for year in range(today.year - 2, today.year + 2):
        terms.append((f"Spring {year}", date(year, 1, 12), date(year, 5, 8)))
        terms.append((f"Fall {year}", date(year, 8, 24), date(year, 12, 18)))
    current = max(i for i, (_, start, _end) in enumerate(terms) if start <= today)
    return terms[current - 1: current + 2]


def seed(today: date | None = None, school: DemoSchool = SCHOOL) -> str:
    """Load everything; existing rows (matched by name or email) are kept, so running twice changes nothing.

    `today` places the terms and dates the records; the services refuse a session dated after the real today, so it
    is never later than that.
    """
    today = today or date.today()
    created = {"terms": 0, "studios": 0, "ensembles": 0, "accounts": 0}

    director = accounts.find_user_by_email(school.email(school.director.login))
    if director is None:  # the first account, made the way `flask tracker create-user` makes it
        director = accounts.create_user(school.email(school.director.login), school.director.name, Role.ADMIN,
                                        school.password)
        created["accounts"] += 1
    program, _ = load_program_text(school.program_file.read_text(encoding="utf-8"), actor=director)

    terms = {}
    for key, (name, start, end) in zip(TERMS, semester_terms(today)):
        term = db.session.scalar(sa.select(Term).filter_by(name=name))
        if term is None:
            term = admin_terms.create_term(name, start, end, actor=director)
            created["terms"] += 1
        terms[key] = term
    studios = [_item(admin_catalog.STUDIO, name, location, director, created, "studios")
               for name, location in school.studios]
    _booking_calendars(school, {s.name: s for s in studios}, director, today)
    ensemble_ids = {name: _item(admin_catalog.ENSEMBLE, name, description, director, created, "ensembles").id
                    for name, description in school.ensembles}

    faculty = {}
    for person in school.faculty:
        faculty[person.login], new = _account(school, person, Role.FACULTY, director)
        created["accounts"] += new
    catalog = {course.code: course.id for course in courses.catalog_for(program.id)}
    concentrations = {c.code: c.id for c in admin_catalog.concentrations_by_name(program.id)}
    made: dict[str, tuple[User, User]] = {}  # the students created by this seeding: login -> (student, advisor)
    for spec in school.students:
        advisor = faculty[spec.advisor]
        enrollment = admin_accounts.EnrollmentInput(
            program_id=program.id, concentration_id=concentrations.get(spec.concentration), track=spec.track,
            start_term_id=terms[spec.starts].id, advisor_id=advisor.id)
        student, new = _account(school, spec, Role.STUDENT, director, enrollment)
        if not new:
            continue
        created["accounts"] += 1
        _Records(student, spec, advisor, terms, catalog, [s.id for s in studios], ensemble_ids, today,
                 {s.name: s.id for s in studios}).build()
        made[spec.login] = (student, advisor)
    studio_ids = {s.name: s.id for s in studios}
    for group in school.group_sessions:
        # Only among students this seeding created, so seeding again changes nothing.
        if all(login in made for login in (group.logged_by, *(p.student for p in group.participants))):
            _group_session(group, made, terms, studio_ids, today)
    history.record(director, "demo.seeded", "program", program.id, summary="Loaded the demo program and accounts",
                   changes=created)
    db.session.commit()
    return ("Demo data ready: " + ", ".join(f"{n} new {k}" for k, n in created.items())
            + f". Log in as {school.email(school.director.login)} (password {school.password}).")


def _item(kind: admin_catalog.SimpleItem, name: str, detail: str, director: User, created: dict, counter: str):
    """The studio or ensemble of this name, added by the director when missing."""
    item = db.session.scalar(sa.select(kind.model).filter_by(name=name))
    if item is None:
        item = admin_catalog.save_item(kind, None, name, detail, actor=director)
        created[counter] += 1
    return item


def _account(school: DemoSchool, person, role: Role, director: User,
             enrollment: admin_accounts.EnrollmentInput | None = None) -> tuple[User, bool]:
    """The account of this login; a new one is created by the director and its password set with the one-time link
    it comes with, as the person would. Returns (user, whether it is new)."""
    user = accounts.find_user_by_email(school.email(person.login))
    if user is not None:
        return user, False
    user, token = admin_accounts.create_account(school.email(person.login), person.name, role, actor=director,
                                                enrollment=enrollment)
    return admin_accounts.reset_password(token, school.password), True


def _weekdays(days: str) -> list[int]:
    """'mon-fri' -> [0..4], 'sat-sun' -> [5, 6], 'wed' -> [2]."""
    first, _, last = days.lower().partition("-")
    if first not in DAY_NAMES or (last and last not in DAY_NAMES):
        raise ValueError(f"{DEMO_DATA_FILE.name}: opening_hours: days are like 'mon-fri' or 'wed', not {days!r}")
    start, end = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
    return list(range(start, end + 1))


def _booking_calendars(school: DemoSchool, studios: dict, director: User, today: date) -> None:
    """Opening hours, closures and blocked time of each studio, set up by the director on the first seeding (a studio
    that already has opening hours is left alone).

    The opening hours and closures are written as rows here, with their history event: their admin pages are a
    separate feature. Blocked time goes through tracker.services.bookings.block.
    """
    def studio(name: str):
        if name not in studios:
            raise ValueError(f"{DEMO_DATA_FILE.name}: no demo studio {name!r}")
        return studios[name]

    configured = set(db.session.scalars(sa.select(StudioOpeningHours.studio_id).distinct()))
    fresh = {name for name, s in studios.items() if s.id not in configured}
    if not fresh:
        return
    for row in school.opening_hours:
        if row.studio in fresh:
            target = studio(row.studio)
            for weekday in _weekdays(row.days):
                db.session.add(StudioOpeningHours(studio_id=target.id, weekday=weekday,
                                                  opens_at=time.fromisoformat(row.opens),
                                                  closes_at=time.fromisoformat(row.closes)))
            history.record(director, "studio.opening_hours_set", "studio", target.id,
                           summary=f"Set the opening hours of {target.name}: {row.days} {row.opens}–{row.closes}",
                           changes={"days": row.days, "opens": row.opens, "closes": row.closes})
    for row in school.closures:
        if row.studio in fresh:
            target = studio(row.studio)
            starts = today + timedelta(days=row.in_days)
            ends = starts + timedelta(days=row.days - 1)
            db.session.add(StudioClosure(studio_id=target.id, starts_on=starts, ends_on=ends, reason=row.reason,
                                         created_by_id=director.id))
            history.record(director, "studio.closure_added", "studio", target.id,
                           summary=f"Closed {target.name} {starts:%Y-%m-%d} to {ends:%Y-%m-%d}: {row.reason}",
                           changes={"starts_on": starts, "ends_on": ends, "reason": row.reason})
    db.session.commit()
    for row in school.blocks:
        if row.studio in fresh:
            bookings.block(director, studio(row.studio).id, today + timedelta(days=row.in_days),
                           time.fromisoformat(row.start), time.fromisoformat(row.end), row.reason,
                           now=datetime.combine(today, time(8)))


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)


def _session_page(session_id: int) -> str:
    """The link a review notification carries (what review.routes builds with url_for, outside a request)."""
    return current_app.url_map.bind("localhost").build("studio.detail", {"session_id": session_id})


def _group_session(spec: SimpleNamespace, made: dict[str, tuple[User, User]], terms: dict[str, Term],
                   studio_ids: dict[str, int], today: date) -> None:
    """Log a group session as its logger, answer as each participant, decide as the logger's advisor; then date it."""
    term = terms[spec.term]
    day = min(term.start_date + timedelta(days=spec.first_day), term.end_date, today - timedelta(days=1))
    if day < term.start_date:
        return  # the term has barely begun: nothing to log yet
    logger, advisor = made[spec.logged_by]
    end = (datetime.combine(day, spec.start) + timedelta(minutes=int(spec.hours * 60))).time()
    own = group_sessions.log_group_session(
        logger, studio.SessionInput(date=day, studio_id=studio_ids[spec.studio], start_time=spec.start, end_time=end,
                                    activity=StudioActivity(spec.activity), project=spec.project,
                                    role=StudioRole(spec.role), supervisor_id=advisor.id),
        [group_sessions.ParticipantInput(n, made[p.student][0].id, StudioRole(p.role))
         for n, p in enumerate(spec.participants, start=1)],
        actor=logger, session_link=_session_page)
    group_id, logged_at = own.group_id, datetime.combine(day, end, tzinfo=timezone.utc) + timedelta(hours=3)
    rows = {row.student_id: row for row in db.session.scalars(
        sa.select(StudioSession).where(StudioSession.group_id == group_id))}
    answered_at, reviewed_at = logged_at + timedelta(days=1), logged_at + timedelta(days=2)
    events = [{"entity": row.id, "act": "studio_session.logged" if sid == logger.id else "studio_session.named",
               "at": logged_at} for sid, row in rows.items()]
    for p in spec.participants:
        student = made[p.student][0]
        if p.answer in ("confirm", "decline"):
            answer = group_sessions.confirm if p.answer == "confirm" else group_sessions.decline
            answer(rows[student.id], actor=student)
            events.append({"entity": rows[student.id].id, "act": f"studio_session.{p.answer}ed", "at": answered_at})
    decided = []
    if spec.review == "approve":
        sessions = db.session.scalars(sa.select(StudioSession).where(StudioSession.group_id == group_id)).all()
        result = group_sessions.approve_confirmed(sessions, [(s.id, None) for s in sessions], actor=advisor,
                                                  session_link=_session_page)
        decided = [s.id for s in db.session.scalars(sa.select(StudioSession).where(
            StudioSession.group_id == group_id, StudioSession.status == SessionStatus.APPROVED))]
        assert result.decided == len(decided)
        events += [{"entity": i, "act": "studio_session.approved", "at": reviewed_at} for i in decided]
    db.session.execute(HistoryEvent.__table__.update().where(
        HistoryEvent.entity_type == studio.ENTITY, HistoryEvent.entity_id == sa.bindparam("entity"),
        HistoryEvent.action == sa.bindparam("act")).values(created_at=sa.bindparam("at")), events)
    table = StudioSession.__table__
    db.session.execute(table.update().where(table.c.group_id == group_id).values(created_at=logged_at,
                                                                                submitted_at=logged_at))
    if decided:
        db.session.execute(table.update().where(table.c.id.in_(decided)).values(reviewed_at=reviewed_at))
    groups = StudioSessionGroup.__table__
    db.session.execute(groups.update().where(groups.c.id == group_id).values(created_at=logged_at))
    notices = Notification.__table__
    for sid, row in rows.items():
        mine = [notices.c.user_id == sid, notices.c.link == _session_page(row.id)]
        named = notices.c.message.like("% named you as %")
        db.session.execute(notices.update().where(*mine, named).values(created_at=logged_at))
        db.session.execute(notices.update().where(*mine, ~named).values(created_at=reviewed_at))
    db.session.commit()
    # Those who answered have read what they were told; a named student still to answer has it waiting, unread.
    for p in spec.participants:
        if p.answer:
            notifications.mark_all_read(made[p.student][0])
    notifications.mark_all_read(logger)


class _Records:
    """One demo student's courses, ensembles, studio sessions and milestones, each added by whoever would add it."""

    ACTIVITIES = list(StudioActivity)

    def __init__(self, student: User, spec: SimpleNamespace, advisor: User, terms: dict[str, Term], catalog: dict,
                 studio_ids: list[int], ensemble_ids: dict[str, int], today: date,
                 studios_by_name: dict[str, int] | None = None):
        self.student, self.spec, self.advisor = student, spec, advisor
        self.student_id = student.id
        self.terms, self.catalog, self.today = terms, catalog, today
        self.studio_ids, self.ensemble_ids = studio_ids, ensemble_ids
        self.studios_by_name = studios_by_name or {}
        # When each step would have happened, applied once the services have done them all (see dated()).
        self.events: list[dict] = []
        self.sessions_logged: list[dict] = []
        self.notices: list[dict] = []
        self.signed: list[dict] = []
        self.booked: list[dict] = []

    def _happened(self, entity_type: str, entity_id: int, action: str, at: datetime) -> None:
        self.events.append({"kind": entity_type, "entity": entity_id, "act": action, "at": at})

    def _added_at(self, term: Term, hour: int) -> datetime:
        """When a record of `term` was added: the term's first day (today, for a term still to come)."""
        return _at(min(term.start_date, self.today), hour)

    def course(self, c: SimpleNamespace) -> None:
        term = self.terms[c.term]
        if c.course not in self.catalog:
            raise ValueError(f"{DEMO_DATA_FILE.name}: students[{self.spec.login}]: the demo program has no course "
                             f"{c.course}")
        record = courses.add_course_record(
            self.student, courses.CourseInput(self.catalog[c.course], term.id, c.status, c.grade), actor=self.student)
        self._happened(courses.ENTITY, record.id, "course_record.added", self._added_at(term, 10))

    def ensemble(self, e: SimpleNamespace) -> None:
        term = self.terms[e.term]
        if e.ensemble not in self.ensemble_ids:
            raise ValueError(f"{DEMO_DATA_FILE.name}: students[{self.spec.login}]: no demo ensemble {e.ensemble}")
        record = ensembles.add_ensemble(
            self.student, ensembles.EnsembleInput(self.ensemble_ids[e.ensemble], term.id, e.role), actor=self.student)
        self._happened(ensembles.ENTITY, record.id, "ensemble_record.added", self._added_at(term, 11))

    def sessions(self, s: SimpleNamespace) -> None:
        """Log each session as the student, three hours after it ended; the advisor decides it two days later."""
        term = self.terms[s.term]
        decision = review.Decision(s.review) if s.review else None
        day = term.start_date + timedelta(days=s.first_day)
        last = min(term.end_date, self.today - timedelta(days=1))
        start = self.spec.session_start
        made = 0
        while made < s.count and day <= last:
            if day.weekday() < 5:
                end = (datetime.combine(day, start) + timedelta(minutes=int(s.hours * 60))).time()
                studio_id = self.studio_ids[made % len(self.studio_ids)]
                booking = self._book(studio_id, day, start, end, s.project, s.project) if s.booked else None
                logged = studio.log_session(self.student, studio.SessionInput(
                    date=day, studio_id=studio_id, start_time=start,
                    end_time=end, activity=self.ACTIVITIES[made % len(self.ACTIVITIES)], project=s.project,
                    role=StudioRole.ENGINEER if made % 3 else StudioRole.ASSISTANT_ENGINEER,
                    supervisor_id=self.advisor.id), actor=self.student, booking=booking)
                session_id = logged.id
                logged_at = datetime.combine(day, end, tzinfo=timezone.utc) + timedelta(hours=3)
                self._happened(studio.ENTITY, session_id, "studio_session.logged", logged_at)
                reviewed_at = None
                if decision is not None:
                    review.decide(logged, decision, s.note, actor=self.advisor, session_link=_session_page)
                    reviewed_at = logged_at + timedelta(days=2)
                    self._happened(studio.ENTITY, session_id, decision.action, reviewed_at)
                    self.notices.append({"page": _session_page(session_id), "at": reviewed_at})
                self.sessions_logged.append({"session": session_id, "logged": logged_at, "reviewed": reviewed_at})
                made += 1
            day += timedelta(days=SESSION_DAYS_APART)

    def _book(self, studio_id: int, day: date, start: time, end: time, purpose: str, project: str):
        """The student books the slot: two days before it for a past one, on the day of seeding otherwise."""
        booked_on = min(day - timedelta(days=2), self.today) if day <= self.today else self.today
        now = datetime.combine(booked_on, time(8))
        booking = bookings.book(self.student, studio_id, None, day, start, end, purpose, project, now=now)
        at = now.replace(tzinfo=timezone.utc)
        self._happened(bookings.ENTITY, booking.id, "studio_booking.booked", at)
        self.booked.append({"booking": booking.id, "at": at})
        return booking

    def booking(self, b: SimpleNamespace) -> None:
        if b.studio not in self.studios_by_name:
            raise ValueError(f"{DEMO_DATA_FILE.name}: students[{self.spec.login}]: no demo studio {b.studio}")
        self._book(self.studios_by_name[b.studio], self.today + timedelta(days=b.in_days),
                   time.fromisoformat(b.start), time.fromisoformat(b.end), b.purpose, b.project)

    def milestone(self, m: SimpleNamespace) -> None:
        completed_on = self.today - timedelta(days=m.days_ago)
        record = milestones.sign_off(self.advisor, self.student_id, m.kind, completed_on, m.note, today=self.today)
        signed_at = _at(completed_on, 15)
        self.signed.append({"record": record.id, "at": signed_at})
        self._happened(milestones.ENTITY, record.id, "milestone.signed_off", signed_at)

    def dated(self) -> None:
        """Date every step to when it would have happened: the services stamp them all "now"."""
        param = sa.bindparam
        for table, where, values, rows in [
            (HistoryEvent.__table__, lambda c: [c.entity_type == param("kind"), c.entity_id == param("entity"),
                                                c.action == param("act")], {"created_at": param("at")}, self.events),
            (StudioSession.__table__, lambda c: [c.id == param("session")],
             {"created_at": param("logged"), "submitted_at": param("logged"), "reviewed_at": param("reviewed")},
             self.sessions_logged),
            (MilestoneRecord.__table__, lambda c: [c.id == param("record")], {"signed_at": param("at")}, self.signed),
            (StudioBooking.__table__, lambda c: [c.id == param("booking")], {"created_at": param("at")}, self.booked),
            (Notification.__table__, lambda c: [c.user_id == self.student_id, c.link == param("page")],
             {"created_at": param("at")}, self.notices),
        ]:
            if rows:
                db.session.execute(table.update().where(*where(table.c)).values(**values), rows)

    def build(self) -> None:
        for c in self.spec.courses:
            self.course(c)
        for e in self.spec.ensembles:
            self.ensemble(e)
        for s in self.spec.sessions:
            self.sessions(s)
        for m in self.spec.milestones:
            self.milestone(m)
        for b in self.spec.bookings:
            self.booking(b)
        self.dated()
        # The student has long read what their reviewers told them, so the demo starts with nothing unread
        # (this commits the dates too).
        notifications.mark_all_read(self.student)
