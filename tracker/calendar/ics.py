"""Writing a feed (tracker.services.calendar_feeds.Feed) as an iCalendar (RFC 5545) file with the icalendar library.

Event times are the studio's wall-clock times in the school's zone (APP_TIMEZONE): each DTSTART/DTEND names the
zone (TZID) and the file carries its VTIMEZONE, so every calendar app shows them at the right moment wherever its
user is; UTC needs no VTIMEZONE (times end in Z). UIDs are `<key>@<domain>` (booking-12@tracker.example.edu), the
same on every fetch, so an app updates an event in place instead of adding it again.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vDuration

from ..services.calendar_feeds import Feed, FeedEvent

PRODID = "-//Music Master's Tracker//Calendar feeds//EN"
# How often a calendar app should fetch the feed again (apps may ignore it; Google takes hours whatever it says).
REFRESH = timedelta(hours=1)


def _moment(value: datetime | date, zone: ZoneInfo) -> datetime | date:
    if isinstance(value, datetime):
        return value.replace(tzinfo=zone)
    return value


def _event(event: FeedEvent, zone: ZoneInfo, domain: str) -> Event:
    component = Event.new(uid=f"{event.key}@{domain}", start=_moment(event.start, zone),
                          end=_moment(event.end, zone), summary=event.summary, stamp=event.stamp,
                          location=event.location or None, description=event.description or None)
    return component


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def render(feed: Feed, *, zone: ZoneInfo, domain: str) -> bytes:
    """The feed as the bytes of a .ics file."""
    calendar = Calendar.new(prodid=PRODID, uid=f"{feed.key}@{domain}", name=feed.name,
                            description=feed.description, refresh_interval=REFRESH)
    calendar.add("X-WR-TIMEZONE", zone.key)
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH))  # Outlook's and older Apple apps' REFRESH-INTERVAL
    for event in feed.events:
        calendar.add_component(_event(event, zone, domain))
    if feed.events:
        # Only the zone's rules for the feed's own span (the default spans 1970-2038: a much longer file).
        first = min(_day(event.start) for event in feed.events) - timedelta(days=1)
        last = max(_day(event.end) for event in feed.events) + timedelta(days=366)
        calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar.to_ical()
