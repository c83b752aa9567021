"""A program's own tracks and milestone kinds: declared, checked everywhere they are used, defaults that warn."""
from __future__ import annotations

from datetime import date

from tracker.domain import (
    DEFAULT_MILESTONES,
    DEFAULT_TRACKS,
    AuditInput,
    Milestone,
    StudentContext,
    audit,
    parse_program_definition,
)
from tracker.domain.positions import with_lines

from ..definition_support import BASE, VOCABULARY, block, errors_of

PORTFOLIO_BLOCK = block(key='"portfolio-milestones"', kind='"milestones"', title='"Portfolio milestones"',
                        track='"portfolio"', milestones='["portfolio_review", "jury"]')


def test_a_program_declares_its_own_tracks_and_milestones():
    program = parse_program_definition(BASE + VOCABULARY + PORTFOLIO_BLOCK)
    assert program.warnings == ()
    assert [(t.code, t.label) for t in program.tracks] == [("portfolio", "Portfolio"), ("recital", "Recital")]
    jury = program.vocabulary.milestone("jury")
    assert (jury.label, jury.signed_by, jury.tracks) == ("Jury passed", ("admin",), ("portfolio", "recital"))
    assert program.vocabulary.milestone("portfolio_review").signed_by == ("advisor",)
    assert program.requirement("portfolio-milestones").track == "portfolio"


def test_the_audit_names_milestones_with_the_programs_labels():
    program = parse_program_definition(BASE + VOCABULARY + PORTFOLIO_BLOCK)
    result = audit(AuditInput(program, StudentContext("production", "portfolio"), today=date(2026, 5, 1),
                              milestones=(Milestone("jury", date(2026, 4, 1), "Admin"),)))
    milestones = next(b for b in result.blocks if b.kind == "milestones")
    assert [u.label for u in milestones.used] == ["Jury passed"]
    assert milestones.still_needed == ("Portfolio review passed",)


def test_a_file_without_tracks_or_milestones_gets_the_defaults_quietly_when_it_does_not_use_them():
    program = parse_program_definition(BASE)
    assert program.tracks == DEFAULT_TRACKS and program.milestones == DEFAULT_MILESTONES
    assert [t.label for t in program.tracks] == ["Thesis", "Non-thesis"]
    assert all(m.signed_by == ("advisor", "admin") and m.tracks == () for m in program.milestones)
    assert program.warnings == ()


def test_a_file_that_relies_on_the_default_vocabulary_is_warned():
    text = BASE + block(key='"m"', kind='"milestones"', title='"M"', track='"thesis"',
                        milestones='["proposal", "defense"]')
    program = parse_program_definition(text)
    assert program.requirement("m").milestones == ("proposal", "defense")  # the same meaning as before
    assert program.warnings == (
        'tracks: no [[tracks]] tables, so the file relies on the default tracks thesis ("Thesis"), non_thesis '
        '("Non-thesis"); declare them with [[tracks]] code and label to say so',
        "milestones: no [[milestones]] tables, so the file relies on the default milestones (proposal, committee, "
        "defense, deposit, capstone, comprehensive_exam), each signed off by the student's advisor or an "
        "administrator; declare them with [[milestones]] code, label and signed_by to say so",
    )


def test_declared_tracks_replace_the_defaults_so_thesis_is_unknown():
    text = BASE + VOCABULARY + block(key='"x"', kind='"gpa"', title='"X"', min_gpa='"3.0"', track='"thesis"')
    assert errors_of(text) == ["requirements[3].track: unknown track 'thesis' (expected one of portfolio, recital)"]


def test_declared_milestones_replace_the_defaults_so_every_unknown_one_is_reported():
    text = BASE + VOCABULARY + block(key='"x"', kind='"milestones"', title='"X"', track='"portfolio"',
                                     milestones='["jury", "defense", "recital_hearing"]')
    assert errors_of(text) == [
        'requirements[3].milestones: unknown milestone "defense" (expected one of portfolio_review, jury)',
        'requirements[3].milestones: unknown milestone "recital_hearing" (expected one of portfolio_review, jury)',
    ]


def test_a_milestone_of_an_unknown_track_is_refused_with_its_line():
    text = BASE + VOCABULARY.replace('tracks = ["portfolio", "recital"]', 'tracks = ["portfolio", "organ", "voice"]')
    errors = errors_of(text)
    assert errors == [
        'milestones[2].tracks: unknown track "organ" (expected one of portfolio, recital)',
        'milestones[2].tracks: unknown track "voice" (expected one of portfolio, recital)',
    ]
    line = (BASE + VOCABULARY).splitlines().index('tracks = ["portfolio", "recital"]') + 1
    assert with_lines(text, errors)[0].startswith(f"line {line}: milestones[2].tracks")


def test_signed_by_is_required_and_must_name_advisor_or_admin():
    text = BASE + VOCABULARY.replace('signed_by = "advisor"\n', "").replace('signed_by = ["admin"]',
                                                                          'signed_by = ["admin", "dean"]')
    assert errors_of(text) == [
        "milestones[1].signed_by: required (who may sign it off: advisor, admin, or a list)",
        'milestones[2].signed_by: unknown signer "dean" (expected one of advisor, admin)',
    ]


def test_track_and_tracks_together_are_refused():
    text = BASE + VOCABULARY.replace('track = "portfolio"\n', 'track = "portfolio"\ntracks = ["recital"]\n')
    assert errors_of(text) == ["milestones[1].tracks: write track or tracks, not both"]


def test_codes_must_be_slugs_and_unique():
    text = BASE + VOCABULARY.replace('code = "recital"', 'code = "portfolio"').replace(
        'code = "jury"', 'code = "Jury Day"')
    assert errors_of(text) == [
        'tracks[2].code: duplicate track code "portfolio"',
        "milestones[2].code: must be a slug of lowercase letters, digits, '-' or '_', at most 32 characters "
        "(got 'Jury Day')",
        'milestones[2].tracks: unknown track "recital" (expected one of portfolio)',  # it was renamed away
    ]
    twice = BASE + VOCABULARY + '\n[[milestones]]\ncode = "jury"\nlabel = "Again"\nsigned_by = "admin"\n'
    assert errors_of(twice) == ['milestones[3].code: duplicate milestone code "jury"']


def test_labels_are_required():
    text = BASE + VOCABULARY.replace('label = "Recital"\n', "").replace('label = "Jury passed"\n', "")
    assert errors_of(text) == ["tracks[2].label: required", "milestones[2].label: required"]


def test_a_block_may_not_list_a_milestone_some_of_its_students_cannot_have():
    text = BASE + VOCABULARY + block(key='"x"', kind='"milestones"', title='"X"', milestones='["portfolio_review"]')
    assert errors_of(text) == [
        'requirements[3].milestones: "portfolio_review" belongs to the portfolio track(s) only, but this block also '
        "applies to recital; set track on the block or list the milestone's tracks"]


def test_empty_tracks_or_milestones_lists_are_refused():
    assert errors_of("tracks = []\nmilestones = []\n" + BASE) == [
        "tracks: at least one [[tracks]] table is needed (or none at all for thesis / non_thesis)",
        "milestones: at least one [[milestones]] table is needed (or none at all for the default six)",
    ]


def test_unknown_settings_of_the_new_tables_are_refused():
    text = BASE + VOCABULARY.replace('label = "Portfolio"\n', 'label = "Portfolio"\nname = "P"\n')
    assert errors_of(text) == ['tracks[1].name: unknown setting "name"']
