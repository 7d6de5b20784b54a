"""Schedule arithmetic: slots of cron expressions and intervals, jobs, run ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from datasteward.config import Project
from datasteward.config.models import ScheduleConfig
from datasteward.services.scheduler import (
    Job,
    JobKind,
    Schedule,
    scheduled_jobs,
    scheduled_run_id,
)


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# (schedule, moment, latest slot at or before it, first slot after it)
CASES = [
    ({"every": "15m"}, "2026-01-05 06:07:30", "2026-01-05 06:00:00", "2026-01-05 06:15:00"),
    ({"every": "15m"}, "2026-01-05 06:15:00", "2026-01-05 06:15:00", "2026-01-05 06:30:00"),
    ({"every": "1s"}, "2026-01-05 06:00:00.250", "2026-01-05 06:00:00", "2026-01-05 06:00:01"),
    ({"every": "1.5s"}, "1970-01-01 00:00:02", "1970-01-01 00:00:01.5", "1970-01-01 00:00:03"),
    ({"every": "7d"}, "2026-01-05 06:00:00", "2026-01-01 00:00:00", "2026-01-08 00:00:00"),
    ({"cron": "0 6 * * *"}, "2026-01-05 06:00:00", "2026-01-05 06:00:00", "2026-01-06 06:00:00"),
    ({"cron": "0 6 * * *"}, "2026-01-05 05:59:59", "2026-01-04 06:00:00", "2026-01-05 06:00:00"),
    ({"cron": "*/5 * * * *"}, "2026-01-05 06:07:00", "2026-01-05 06:05:00", "2026-01-05 06:10:00"),
    ({"cron": "0 0 * * 1"}, "2026-01-07 12:00:00", "2026-01-05 00:00:00", "2026-01-12 00:00:00"),
    ({"cron": "30 2 1 * *"}, "2026-02-15 00:00:00", "2026-02-01 02:30:00", "2026-03-01 02:30:00"),
]


@pytest.mark.parametrize(("config", "moment", "latest", "following"), CASES)
def test_slots(config: dict[str, str], moment: str, latest: str, following: str) -> None:
    schedule = Schedule.of(ScheduleConfig(**config))
    assert schedule.latest_at_or_before(t(moment)) == t(latest)
    assert schedule.next_after(t(moment)) == t(following)


def test_slots_are_computed_in_utc_whatever_the_input_zone() -> None:
    paris = datetime(2026, 1, 5, 7, 0, tzinfo=UTC).astimezone(ZoneInfo("Europe/Paris"))
    schedule = Schedule.of(ScheduleConfig(cron="0 6 * * *"))
    assert schedule.latest_at_or_before(paris) == t("2026-01-05 06:00:00")
    assert schedule.next_after(paris).utcoffset() == timedelta(0)


def test_schedule_text_names_it() -> None:
    assert str(Schedule.of(ScheduleConfig(every="15m"))) == "every 15m"
    assert str(Schedule.of(ScheduleConfig(cron="0 6 * * *"))) == "cron 0 6 * * *"


def test_jobs_of_a_project(project: Project) -> None:
    jobs = scheduled_jobs(project)
    assert [(job.key, job.kind, str(job.schedule)) for job in jobs] == [
        ("scan:orders", JobKind.SCAN, "every 15m"),
        ("backup:orders", JobKind.BACKUP, "cron 0 6 * * *"),
    ]


def test_run_ids_are_the_same_for_a_slot_and_differ_between_slots_and_jobs() -> None:
    schedule = Schedule.of(ScheduleConfig(every="15m"))
    orders, customers = Job(JobKind.SCAN, "orders", schedule), Job(JobKind.SCAN, "c", schedule)
    slot = t("2026-01-05 06:00:00")
    same = slot.astimezone(ZoneInfo("Asia/Tokyo"))
    assert scheduled_run_id(orders, slot) == scheduled_run_id(orders, same)
    assert len(scheduled_run_id(orders, slot)) == 32
    others = {
        scheduled_run_id(orders, slot + timedelta(minutes=15)),
        scheduled_run_id(customers, slot),
        scheduled_run_id(Job(JobKind.BACKUP, "orders", schedule), slot),
    }
    assert scheduled_run_id(orders, slot) not in others
    assert len(others) == 3
