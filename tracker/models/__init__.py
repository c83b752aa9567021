"""All models, imported here so Alembic's autogenerate sees every table."""
from .api_tokens import ApiToken
from .audit_stamps import AuditGeneration, AuditStamp
from .base import utcnow
from .bookings import StudioBooking, StudioClosure, StudioOpeningHours
from .catalog import CatalogVersion, Concentration, Course, Ensemble, Program, Studio, Term
from .documents import ProgressDocument
from .enums import (
    LETTER_GRADES,
    PASS_FAIL_GRADES,
    BookingKind,
    BookingStatus,
    Confirmation,
    CourseCategory,
    CourseStatus,
    EnrollmentStatus,
    EnsembleRole,
    ExceptionKind,
    MailKind,
    MailMode,
    MailStatus,
    Role,
    SessionStatus,
    StudioActivity,
    StudioRole,
)
from .history import HistoryEvent
from .mail import MailPreference, OutboxMessage
from .people import Enrollment, PasswordResetToken, User
from .records import (AuditException, CourseRecord, EnsembleRecord, MilestoneRecord, Notification, StudioSession,
                      StudioSessionGroup)
from .submissions import SubmissionToken

__all__ = [name for name in dir() if not name.startswith("_")]
