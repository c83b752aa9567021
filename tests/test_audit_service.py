"""The bridge from rows to the audit engine (services.audit), its query budget and risk flags; program loading."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tracker.domain import DefinitionError
from tracker.extensions import db
from tracker.models import CatalogVersion, Concentration, Course, HistoryEvent, Program
from tracker.services import audit as service
from tracker.services import programs

from .catalog_support import requirement_titles
from .progress_support import DEMO_TOML, add_course, add_ensemble, add_exception, add_sessions, complete_records, sign


def test_an_unenrolled_student_has_no_audit(make_user):
    assert service.audit_student(make_user("student").id) is None
    assert service.audit_students([]) == {}


def test_one_student_costs_two_queries_whatever_the_records(demo_program, terms, make_user, make_student,
                                                            count_queries):
    advisor = make_user("faculty")
    student = make_student(advisor=advisor)
    add_sessions(student, advisor, terms.first, count=120, hours=1, commit=False)
    for code in ("MPT 601", "MPT 602", "MPT 611", "MPT 663"):
        add_course(student, code, terms.first, commit=False)
    add_ensemble(student, terms.first, commit=False)
    db.session.commit()
    sign(student, "proposal", terms.first.end_date, advisor)
    add_exception(student, advisor, "waiver", requirement_key="electives", amount=Decimal("3"))
    student_id = student.id
    db.session.expire_all()
    with count_queries() as q:
        audit = service.audit_student(student_id)
        _ = (audit.enrollment.program.name, audit.enrollment.advisor.display_name, audit.student.display_name,
             audit.enrollment.concentration.code)
    assert q.count == 2
    assert len(audit.records.sessions) == 120 and len(audit.records.courses) == 4
    assert len(audit.records.milestone_rows) == 1 and audit.records.milestone_rows[0].signed_by == advisor.display_name
    assert audit.result.block("studio").studio_terms[0].approved_hours == Decimal(120)
    assert audit.result.block("electives").need == Decimal(3)


def test_many_students_cost_two_queries_and_match_single_audits(demo_program, terms, make_user, make_student,
                                                                count_queries):
    advisor = make_user("faculty")
    students = []
    for i, (conc, track) in enumerate([("production", "thesis"), ("technical", "non_thesis"),
                                       ("education", "thesis")]):
        s = make_student(concentration=conc, track=track, advisor=advisor)
        add_course(s, "MPT 601", terms.first, grade=["A", "B", "C"][i])
        add_sessions(s, advisor, terms.second, count=10 + i, hours=4)
        students.append(s)
    ids = [s.id for s in students] + [make_user("student").id]   # the last one is not enrolled
    db.session.expire_all()
    with count_queries() as q:
        audits = service.audit_students(ids)
    assert q.count == 2
    assert list(audits) == sorted(s.id for s in students)
    for s in students:
        single = service.audit_student(s.id)
        assert audits[s.id].result == single.result
        assert audits[s.id].context == single.context
    assert set(service.audit_students(None)) == {s.id for s in students}


def test_catalog_titles_name_courses_not_taken_yet(demo_program, make_student):
    audit = service.audit_student(make_student(track="thesis").id)
    assert "Thesis I" in audit.result.block("thesis").still_needed
    assert "Record Analysis (at least B-)" in audit.result.block("core").still_needed


def test_exceptions_reach_the_engine(demo_program, terms, make_user, make_student):
    advisor, admin = make_user("faculty"), make_user("admin", name="Director Dana")
    student = make_student(advisor=advisor)
    record = add_course(student, "MPT 663", terms.first, grade="A")
    add_exception(student, advisor, "substitution", requirement_key="concentration", course_record_id=record.id)
    add_exception(student, admin, "waiver", "Professional experience", requirement_key="ensembles")
    add_exception(student, admin, "transfer", transfer_title="Acoustics I", transfer_credits=Decimal("3"),
                  institution="Berklee", course_id=db.session.scalar(sa.select(Course.id).where(
                      Course.code == "MPT 604")))
    revoked = add_exception(student, admin, "waiver", requirement_key="studio")
    revoked.revoked_at = revoked.created_at
    db.session.commit()
    result = service.audit_student(student.id).result
    concentration = result.block("concentration")
    assert concentration.done == 3 and concentration.exceptions[0].kind == "substitution"
    assert result.block("ensembles").status == "complete" and result.block("ensembles").exceptions[0].by == \
        "Director Dana"
    core = result.block("core")
    assert any("Acoustics I" in u.label and "transfer" in u.label for u in core.used)
    assert result.block("studio").need == 3                       # the revoked waiver is ignored
    rows = service.audit_student(student.id).records.exception_rows
    assert [r.kind for r in rows] == ["substitution", "waiver", "transfer"]
    assert rows[2].description == "Transfer credit: Acoustics I (3 credits from Berklee, equivalent to MPT 604)"


def test_rerun_is_a_what_if_without_queries(demo_program, terms, make_user, make_student, count_queries):
    student = make_student(concentration="production", track="thesis")
    add_course(student, "MPT 621", terms.first)
    audit = service.audit_student(student.id)
    with count_queries() as q:
        other = service.rerun(audit, concentration="technical", track="non_thesis")
    assert q.count == 0
    assert (other.context.concentration, other.context.track) == ("technical", "non_thesis")
    assert other.result.block("concentration").done == 3 and audit.result.block("concentration").done == 0
    assert other.result.block("thesis") is None and other.result.block("capstone") is not None
    assert audit.enrollment.concentration.code == "production"


# ---------------------------------------------------------------- risk

def test_completed_terms_count_from_the_start_term(demo_program, terms, make_student):
    today = date.today()
    all_terms = [terms.first, terms.second, terms.current, terms.next]
    early = make_student(start_term=terms.first)
    late = make_student(start_term=terms.current)
    unknown = make_student()
    audits = service.audit_students([early.id, late.id, unknown.id])
    assert service.completed_terms(audits[early.id].enrollment, all_terms, today) == 2
    assert service.completed_terms(audits[late.id].enrollment, all_terms, today) == 0
    assert service.completed_terms(audits[unknown.id].enrollment, all_terms, today) is None


def test_risk_reasons(demo_program, terms, make_user, make_student):
    advisor = make_user("faculty")
    on_track = make_student(advisor=advisor)
    complete_records(on_track, advisor, terms, "production", "thesis")
    low = make_student(advisor=advisor)
    add_course(low, "MPT 601", terms.first, grade="C")
    audit = service.audit_student(on_track.id)
    assert audit.result.complete and service.risk_reasons(audit, 4) == []
    reasons = service.risk_reasons(service.audit_student(low.id), 2)
    assert any("GPA 2.00 is below the minimum" in r for r in reasons)
    assert any("grade C below minimum B-" in r for r in reasons)
    assert any(r.startswith("Behind schedule") for r in reasons)
    assert not any(r.startswith("Behind schedule") for r in service.risk_reasons(service.audit_student(low.id), 0))
    assert not any(r.startswith("Behind") for r in service.risk_reasons(service.audit_student(low.id), None))


# ---------------------------------------------------------------- loading program definitions

def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_loading_the_demo_program_creates_everything_with_one_history_event():
    program, summary = programs.load_program_text(DEMO_TOML.read_text(encoding="utf-8"), actor=None)
    assert summary.startswith("new program MM-PROD: 5 concentrations")
    assert (_count(Program), _count(Concentration), _count(CatalogVersion)) == (1, 5, 1)
    assert len(requirement_titles(program.id)) == 12
    assert program.definition_source.startswith("# Demo program")
    [event] = db.session.scalars(sa.select(HistoryEvent)).all()
    assert event.action == "program.loaded"


def test_a_malformed_definition_names_each_key_and_loads_nothing():
    text = DEMO_TOML.read_text(encoding="utf-8").replace('min_grade = "B-"', 'min_grade = "Q"', 1)
    text = text.replace("credits = 12\ncourse_concentrations", "credits = -12\ncourse_concentrations", 1)
    with pytest.raises(DefinitionError) as err:
        programs.load_program_text(text, actor=None)
    joined = " | ".join(err.value.errors)
    assert "min_grade" in joined and "requirements[2].credits" in joined
    assert _count(Program) == 0 and _count(Course) == 0 and _count(HistoryEvent) == 0


def test_a_failure_while_applying_leaves_nothing_half_loaded(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(programs.history, "record", boom)
    with pytest.raises(RuntimeError):
        programs.load_program_text(DEMO_TOML.read_text(encoding="utf-8"), actor=None)
    db.session.expire_all()
    assert (_count(Program), _count(Concentration), _count(Course), _count(CatalogVersion)) == (0, 0, 0, 0)


def test_reloading_a_changed_definition_updates_in_place(demo_program, make_student, terms):
    student = make_student()
    add_course(student, "MPT 601", terms.first)
    text = DEMO_TOML.read_text(encoding="utf-8").replace('title = "Core courses"', 'title = "Core seminar"')
    _, summary = programs.load_program_text(text, actor=None)
    assert summary == "change requirement “Core seminar”"
    audit = service.audit_student(student.id)
    assert audit.result.block("core").title == "Core seminar" and audit.result.block("core").done == 1
