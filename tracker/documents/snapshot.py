"""What a progress document holds: the audit's figures as plain JSON values, built from the live audit the way the
progress page and its CSV show them (so the document says what the student saw)."""
from __future__ import annotations

from ..progress.present import CSV_HEADER, csv_rows, overall_bar, overall_status, placed_blocks
from ..services.audit import StudentAudit

_COLUMNS = [name.replace(" ", "_") for name in CSV_HEADER]


def snapshot(audit: StudentAudit) -> dict:
    """The document's content besides who and when: the program context, the overall figure and one row per
    requirement (depth = how deep inside a group it sits) followed by the GPA and total-credit rows."""
    enrollment = audit.enrollment
    depths = [placed.depth for placed in placed_blocks(audit.result.blocks)]
    rows = []
    for index, values in enumerate(csv_rows(audit.result, audit.rules.total_credits, audit.rules.min_gpa)):
        row = {column: "" if value is None else str(value) for column, value in zip(_COLUMNS, values)}
        row["depth"] = depths[index] if index < len(depths) else 0
        row["summary"] = index >= len(depths)
        rows.append(row)
    done, in_progress = overall_bar(audit.result)
    return {
        "as_of": audit.today.isoformat(),
        "concentration": enrollment.concentration.name,
        "track": enrollment.track_label,
        "catalog": audit.version_label,
        "advisor": enrollment.advisor.display_name if enrollment.advisor else "",
        "overall": {"status": overall_status(audit.result), "percent_done": done, "percent_in_progress": in_progress},
        "rows": [row for row in rows if row["key"] != "summary:overall"],
    }
