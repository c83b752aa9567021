"""The suite's fixtures live in tests/fixtures/, one module per topic; this registers them for every test."""

pytest_plugins = [
    "tests.fixtures.app",        # app, database_url, client (TrackerClient), runner, live_server; a fresh database
    "tests.fixtures.programs",   # make_program, make_course, demo_program (before accounts, which imports it)
    "tests.fixtures.accounts",   # make_user, make_student, login_as
    "tests.fixtures.terms",      # make_term, terms
    "tests.fixtures.records",    # make_studio, make_ensemble, make_course_record, make_session
    "tests.fixtures.queries",    # count_queries
    "tests.fixtures.audits",     # handmade (a made-up audit of nested groups)
    "tests.fixtures.sso",        # oidc_provider (a real OpenID provider), sso_on (the app configured for it)
]
