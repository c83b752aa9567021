"""A student's ensembles: add, one record per ensemble per term, edit, delete, access rules and query counts."""
from __future__ import annotations

import html
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import EnsembleRecord, EnsembleRole, HistoryEvent
from tracker.services import ServiceError, ensembles as ensemble_service

from .db_support import lose_the_race, rows_of
from .html_support import field_error, visible_text


@pytest.fixture
def setup(login_as, make_ensemble, make_term):
    student = login_as("student")
    jazz = make_ensemble("Contemporary Jazz Ensemble")
    fall = make_term("Fall 2025", start=date(2025, 8, 24), end=date(2025, 12, 18))
    spring = make_term("Spring 2026", start=date(2026, 1, 12), end=date(2026, 5, 8))
    return student, jazz, fall, spring


def data(ensemble, term, role="engineer", notes="") -> dict:
    return {"ensemble_id": ensemble.id, "term_id": term.id, "role": role, "notes": notes}


def test_add_form_offers_active_ensembles_and_the_roles(client, setup, make_ensemble):
    make_ensemble("Disbanded Choir", active=False)
    text = html.unescape(client.get("/ensembles/new").get_data(as_text=True))
    assert "Contemporary Jazz Ensemble" in text and "Disbanded Choir" not in text
    for role in EnsembleRole:
        assert role.label in text


def test_student_adds_participation(client, setup):
    student, jazz, fall, spring = setup
    response = client.post_form("/ensembles/new", data(jazz, fall, "directors_assistant", "Spring concert"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/ensembles")
    [record] = rows_of(EnsembleRecord, student)
    assert record.role == EnsembleRole.DIRECTORS_ASSISTANT and record.notes == "Spring concert"
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.entity_type == "ensemble_record"))
    assert event.action == "ensemble_record.added" and event.entity_id == record.id
    assert event.subject_id == student.id and event.changes["ensemble"] == "Contemporary Jazz Ensemble"
    text = visible_text(client.get("/ensembles"))
    assert "Fall 2025 Contemporary Jazz Ensemble Director's assistant Spring concert" in text


def test_one_record_per_ensemble_per_term(client, setup):
    student, jazz, fall, spring = setup
    assert client.post_form("/ensembles/new", data(jazz, fall)).status_code == 302
    again = client.post_form("/ensembles/new", data(jazz, fall, "performer", "Kept note"))
    assert again.status_code == 200
    assert "already have Contemporary Jazz Ensemble in Fall 2025" in field_error(again, "ensemble_id")
    assert "Kept note" in again.get_data(as_text=True)
    assert len(rows_of(EnsembleRecord, student)) == 1
    assert client.post_form("/ensembles/new", data(jazz, spring)).status_code == 302


def test_a_double_submit_that_races_past_the_check_hits_the_unique_constraint(setup, monkeypatch):
    student, jazz, fall, spring = setup
    lose_the_race(monkeypatch, ensemble_service, EnsembleRecord, student_id=student.id, ensemble_id=jazz.id,
                  term_id=fall.id, role="engineer", notes="")
    with pytest.raises(ServiceError) as err:
        ensemble_service.add_ensemble(student, ensemble_service.EnsembleInput(jazz.id, fall.id, "engineer"),
                                      actor=student)
    assert err.value.field == "ensemble_id" and "already have" in err.value.message
    assert len(rows_of(EnsembleRecord, student)) == 1


def test_an_inactive_ensemble_is_refused(client, setup, make_ensemble):
    student, jazz, fall, spring = setup
    gone = make_ensemble("Disbanded Choir", active=False)
    response = client.post_form("/ensembles/new", data(gone, fall))
    assert response.status_code == 200 and "active ensembles" in field_error(response, "ensemble_id")
    with pytest.raises(ServiceError):
        ensemble_service.add_ensemble(student, ensemble_service.EnsembleInput(gone.id, fall.id, "engineer"),
                                      actor=student)
    assert rows_of(EnsembleRecord, student) == []


def test_an_unknown_role_is_refused(client, setup):
    student, jazz, fall, spring = setup
    response = client.post_form("/ensembles/new", data(jazz, fall, "conductor"))
    assert response.status_code == 200 and field_error(response, "role")
    assert rows_of(EnsembleRecord, student) == []


def test_edit_and_its_history(client, setup):
    student, jazz, fall, spring = setup
    client.post_form("/ensembles/new", data(jazz, fall))
    [record] = rows_of(EnsembleRecord, student)
    assert "Contemporary Jazz Ensemble" in client.get(f"/ensembles/{record.id}/edit").get_data(as_text=True)
    assert client.post_form(f"/ensembles/{record.id}/edit", data(jazz, spring, "performer", "Tenor sax")).status_code \
        == 302
    [record] = rows_of(EnsembleRecord, student)
    assert record.term_id == spring.id and record.role == EnsembleRole.PERFORMER
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "ensemble_record.edited"))
    assert event.changes == {"term": ["Fall 2025", "Spring 2026"], "role": ["engineer", "performer"],
                             "notes": ["", "Tenor sax"]}


def test_edit_into_a_duplicate_is_refused(client, setup):
    student, jazz, fall, spring = setup
    client.post_form("/ensembles/new", data(jazz, fall))
    client.post_form("/ensembles/new", data(jazz, spring))
    second = rows_of(EnsembleRecord, student)[1]
    response = client.post_form(f"/ensembles/{second.id}/edit", data(jazz, fall))
    assert response.status_code == 200 and "already have" in field_error(response, "ensemble_id")


def test_delete_is_post_only_and_recorded(client, setup):
    student, jazz, fall, spring = setup
    client.post_form("/ensembles/new", data(jazz, fall))
    record_id = rows_of(EnsembleRecord, student)[0].id
    assert client.get(f"/ensembles/{record_id}/delete").status_code == 405
    assert "data-confirm" in client.get("/ensembles").get_data(as_text=True)
    assert client.post_form(f"/ensembles/{record_id}/delete").status_code == 302
    assert rows_of(EnsembleRecord, student) == []
    event = db.session.scalar(sa.select(HistoryEvent).where(HistoryEvent.action == "ensemble_record.deleted"))
    assert event.entity_id == record_id


def test_another_students_records_are_404(client, setup, make_student):
    student, jazz, fall, spring = setup
    other = make_student()
    theirs = EnsembleRecord(student_id=other.id, ensemble_id=jazz.id, term_id=fall.id, role=EnsembleRole.ENGINEER)
    db.session.add(theirs)
    db.session.commit()
    assert client.get(f"/ensembles/{theirs.id}/edit").status_code == 404
    assert client.post_form(f"/ensembles/{theirs.id}/edit", data(jazz, spring)).status_code == 404
    assert client.post_form(f"/ensembles/{theirs.id}/delete").status_code == 404
    assert len(rows_of(EnsembleRecord, other)) == 1


def test_the_list_costs_the_same_queries_for_5_and_200_records(app, make_student, make_ensemble, make_term,
                                                               count_queries):
    groups = [make_ensemble() for _ in range(20)]
    terms = [make_term(start=date(2000, 1, 1) + timedelta(days=120 * i),
                       end=date(2000, 1, 1) + timedelta(days=120 * i + 100)) for i in range(10)]
    counts = []
    for n in (5, 200):
        student = make_student()
        for i in range(n):
            db.session.add(EnsembleRecord(student_id=student.id, ensemble_id=groups[i % 20].id,
                                          term_id=terms[i // 20].id, role=list(EnsembleRole)[i % 5]))
        db.session.commit()
        client = app.test_client()
        client.login(student.email)
        with count_queries() as q:
            response = client.get("/ensembles")
        assert response.status_code == 200 and response.get_data(as_text=True).count("<tr>") == n + 1
        counts.append(q.count)
    assert counts[0] == counts[1], counts
