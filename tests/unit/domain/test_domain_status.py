"""The status table is the one source of codes, names and colours."""

from __future__ import annotations

from planwatch.domain.events import Status as EventStatus
from planwatch.domain.status import BEHIND, STATUS_INFO, Status, label_en, label_zh


def test_every_status_has_one_row_with_a_unique_code_and_colours() -> None:
    assert set(STATUS_INFO) == set(Status) and EventStatus is Status
    rows = STATUS_INFO.values()
    for values in ([r.code for r in rows], [r.zh for r in rows], [r.colour for r in rows]):
        assert len(set(values)) == len(STATUS_INFO)
    assert len({r.grafana for r in rows}) == len(STATUS_INFO)


def test_the_progress_bands_keep_their_codes_and_a_final_miss_is_the_lowest() -> None:
    codes = {s.value: i.code for s, i in STATUS_INFO.items()}
    assert [codes[s] for s in ("achieved", "on_track", "needs_acceleration")] == [4, 3, 2]
    assert [codes[s] for s in ("limited_progress", "deterioration", "no_data")] == [1, 0, -1]
    assert codes["overdue"] == -2 and codes["not_achieved"] == min(codes.values())


def test_names_in_chinese_and_english() -> None:
    assert label_zh("not_achieved") == "未达标" and label_en(Status.NOT_ACHIEVED) == "not achieved"
    assert label_zh("on_track") == "进度正常"
    assert Status.NOT_ACHIEVED in BEHIND and Status.NO_DATA not in BEHIND
