"""``POST /v1/submissions/preview`` and ``GET /v1/figures``: the two reads the portal needs."""

from __future__ import annotations

from typing import Any

from support.ingest import CITY


def preview(ingest: Any, body: Any, key: str | None = None, **kwargs: Any) -> Any:
    headers = ingest.auth(key or ingest.keys.city)
    return ingest.client.post("/v1/submissions/preview", json=body, headers=headers, **kwargs)


def submit(ingest: Any, body: Any) -> Any:
    response = ingest.client.post(
        "/v1/submissions", json=body, headers=ingest.auth(ingest.keys.city)
    )
    assert response.status_code == 202, response.text
    return response.json()


def figures(ingest: Any, key: str | None = None) -> Any:
    return ingest.client.get("/v1/figures", headers=ingest.auth(key or ingest.keys.city))


def test_preview_names_every_bad_row_and_keeps_nothing(ingest: Any) -> None:
    rows = [
        {"indicator_id": "tcity-rd-spend", "period": "2023", "value": 12.5},
        {"indicator_id": "tcity-rd-share", "period": "2023", "value": 140},
        {"indicator_id": "tcity-nope", "period": "2023", "value": 1},
        {"indicator_id": "tprov-rd-spend", "period": "2025", "value": 1},
    ]
    response = preview(ingest, rows)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["rows"], answer["accepted"], answer["invalid"], answer["valid"]) == (
        4,
        1,
        3,
        False,
    )
    items = answer["items"]
    assert items[0]["status"] == "accepted" and items[0]["vintage"] == 1
    assert items[1]["errors"][0]["reason"] == "share_out_of_range"
    assert items[1]["input"] == rows[1]
    assert items[2]["errors"][0]["field"] == "indicator_id"
    assert items[3]["errors"][0]["reason"] == "scope"
    # nothing was kept: the same figure is still new, and the history is empty
    assert preview(ingest, rows[:1]).json()["items"][0]["status"] == "accepted"
    assert figures(ingest).json()["figures"] == []
    assert ingest.publisher.events == []


def test_preview_says_which_earlier_figure_a_revision_replaces(ingest: Any) -> None:
    first = submit(ingest, [{"indicator_id": "tcity-firms", "period": "2023", "value": 100}])
    rows = [
        {"indicator_id": "tcity-firms", "period": "2023-12", "value": 104},
        {"indicator_id": "tcity-rd-spend", "period": "2023", "value": 3},
    ]
    answer = preview(ingest, rows).json()
    assert answer["valid"] is True and (answer["revised"], answer["accepted"]) == (1, 1)
    revised = answer["items"][0]
    assert revised["status"] == "revised" and revised["period"] == "2023"
    assert revised["vintage"] == 2
    assert revised["previous"] == {
        "vintage": 1,
        "value": 100.0,
        "event_id": first["results"][0]["event_id"],
    }
    same = preview(ingest, [{"indicator_id": "tcity-firms", "period": "2023", "value": 100}])
    assert same.json()["items"][0]["status"] == "duplicate"


def test_preview_reads_files_with_their_lines(ingest: Any) -> None:
    body = "指标编号,报告期,数值\ntcity-firms,2023,12\n\ntcity-firms,2024,abc\n".encode()
    response = ingest.client.post(
        "/v1/submissions/preview",
        files={"file": ("填报.csv", body, "text/csv")},
        headers=ingest.auth(ingest.keys.city),
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["line"] for i in items] == [2, 4]
    assert items[1]["errors"][0]["reason"] == "not_a_number"
    assert items[1]["input"]["value"] == "abc"


def test_preview_refuses_what_a_submission_refuses(ingest: Any) -> None:
    bad_header = ingest.client.post(
        "/v1/submissions/preview",
        content=b"foo,bar\n1,2\n",
        headers={**ingest.auth(ingest.keys.city), "Content-Type": "text/csv"},
    )
    assert bad_header.status_code == 422
    assert bad_header.json()["errors"][0]["reason"] == "bad_header"
    assert preview(ingest, [], key="wrong").status_code == 401
    assert preview(ingest, [{"x": 1}], key=ingest.keys.reader).status_code == 403


def test_figures_lists_every_vintage_of_the_bureau_only(ingest: Any) -> None:
    submit(ingest, [{"indicator_id": "tcity-firms", "period": "2023", "value": 100}])
    submit(ingest, [{"indicator_id": "tcity-firms", "period": "2023", "value": 104}])
    other = ingest.client.post(
        "/v1/submissions",
        json=[{"indicator_id": "tprov-rd-spend", "period": "2025", "value": 1}],
        headers=ingest.auth(ingest.keys.province),
    )
    assert other.status_code == 202
    answer = figures(ingest).json()
    assert answer["submitted_by"] == "白银市统计局" and answer["jurisdictions"] == [CITY]
    assert [(f["indicator_id"], f["vintage"], f["value"]) for f in answer["figures"]] == [
        ("tcity-firms", 1, 100.0),
        ("tcity-firms", 2, 104.0),
    ]
    assert figures(ingest, key="nope").status_code == 401
    assert figures(ingest, key=ingest.keys.reader).status_code == 403
