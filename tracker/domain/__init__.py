"""Pure degree-audit domain: grades, requirement kinds, program definitions and the audit (no web, no database)."""
from .audit import (
    AppliedException,
    AuditResult,
    AuditWarning,
    BlockResult,
    RejectedCandidate,
    StudioTermResult,
    UnusedRecord,
    UsedRecord,
    audit,
    format_amount,
)
from .definition import CourseDef, Policies, ProgramDefinition, load_program_definition, parse_program_definition
from .serialize import definition_from_json, definition_to_json
from .grades import (
    GRADE_POINTS,
    GRADES,
    LETTER_GRADES,
    PASS_FAIL_GRADES,
    compute_gpa,
    grade_points,
    is_passing,
    meets_gpa,
    meets_minimum,
    round_gpa,
)
from .inputs import (
    AuditInput,
    CourseRecord,
    EnsembleRecord,
    Milestone,
    ProgramRules,
    StudentContext,
    StudioSession,
    Substitution,
    Term,
    Waiver,
)
from .requirements import (
    CATEGORIES,
    KINDS,
    MILESTONE_KINDS,
    MILESTONE_LABELS,
    STUDENT_CONCENTRATION,
    TRACKS,
    AllCoursesRequirement,
    CreditsRequirement,
    DefinitionError,
    EnsembleTermsRequirement,
    GpaRequirement,
    MilestonesRequirement,
    Requirement,
    StudioTermsRequirement,
    TotalCreditsRequirement,
    requirement_from_dict,
    requirement_to_dict,
)
from .requirements import (
    GROUP_KINDS,
    AllOfRequirement,
    AnyOfRequirement,
    Cap,
    CoursesRequirement,
    GroupRequirement,
    NOfRequirement,
)
from .selectors import Selector, subject_and_number
from .vocabulary import (
    DEFAULT_MILESTONES,
    DEFAULT_TRACKS,
    DEFAULT_VOCABULARY,
    SIGNERS,
    MilestoneDef,
    TrackDef,
    Vocabulary,
)

__all__ = [
    "AllCoursesRequirement", "AppliedException", "AuditInput", "AuditResult", "AuditWarning", "BlockResult",
    "CATEGORIES", "CourseDef", "CourseRecord", "CreditsRequirement", "DefinitionError", "EnsembleRecord",
    "EnsembleTermsRequirement", "GRADES", "GRADE_POINTS", "GpaRequirement", "KINDS", "LETTER_GRADES",
    "MILESTONE_KINDS", "MILESTONE_LABELS", "Milestone", "MilestonesRequirement", "PASS_FAIL_GRADES",
    "ProgramDefinition", "ProgramRules", "RejectedCandidate", "Requirement", "STUDENT_CONCENTRATION",
    "StudentContext", "StudioSession", "StudioTermResult", "StudioTermsRequirement", "Substitution", "TRACKS",
    "Term", "TotalCreditsRequirement", "UnusedRecord", "UsedRecord", "Waiver", "audit", "compute_gpa",
    "format_amount", "grade_points", "is_passing", "load_program_definition", "meets_gpa", "meets_minimum",
    "parse_program_definition", "requirement_from_dict", "requirement_to_dict", "round_gpa",
    "GROUP_KINDS", "AllOfRequirement", "AnyOfRequirement", "Cap", "CoursesRequirement", "GroupRequirement",
    "NOfRequirement", "Selector", "subject_and_number",
    "DEFAULT_MILESTONES", "DEFAULT_TRACKS", "Policies", "definition_from_json", "definition_to_json", "DEFAULT_VOCABULARY", "SIGNERS", "MilestoneDef", "TrackDef", "Vocabulary",
]
