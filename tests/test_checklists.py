"""Loading checklist files: the shipped ones, and the ways a file can be broken."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from audit.checklists import (
    ChecklistError,
    Problem,
    checklist_from_dict,
    checklist_to_dict,
    load_checklist,
    load_checklists,
)
from audit.model import ResponseType, Result, Severity, SiteKind

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "checklists"
CJK = re.compile(r"[\u4e00-\u9fff]")

# A small valid checklist; its trailing comments are the line numbers the cases below refer to.
VALID = (ROOT / "tests" / "data" / "checklists" / "demo.yaml").read_text(encoding="utf-8")


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def broken(old: str, new: str) -> str:
    assert old in VALID, old
    return VALID.replace(old, new, 1)


# --- the shipped checklists -------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    result = load_checklists(SHIPPED)
    return {checklist.id: checklist for checklist in result.checklists}, result.problems


def test_every_shipped_checklist_is_valid(shipped):
    checklists, problems = shipped
    assert [str(problem) for problem in problems] == []
    assert set(checklists) == {
        "quarantine_transfer",
        "ppe_use",
        "fever_clinic",
        "waste_removal",
        "isolation_point",
        "food_safety",
        "business_resumption",
    }


def test_shipped_checklists_are_fully_bilingual_and_sized_for_a_site_visit(shipped):
    for checklist in shipped[0].values():
        assert 6 <= len(checklist.items) <= 12, checklist.id
        texts = [checklist.title] + [s.title for s in checklist.sections] + [i.text for i in checklist.items]
        for text in texts:
            assert CJK.search(text.zh), (checklist.id, text)
            assert not CJK.search(text.en), (checklist.id, text)


@pytest.mark.parametrize(
    "checklist_id, kind",
    [
        ("quarantine_transfer", SiteKind.ISOLATION_POINT),
        ("ppe_use", SiteKind.FEVER_CLINIC),
        ("fever_clinic", SiteKind.FEVER_CLINIC),
        ("waste_removal", SiteKind.ISOLATION_POINT),
        ("isolation_point", SiteKind.ISOLATION_POINT),
        ("isolation_point", SiteKind.ENTERPRISE),
        ("food_safety", SiteKind.ENTERPRISE),
        ("business_resumption", SiteKind.ENTERPRISE),
    ],
)
def test_checklists_apply_to_the_sites_they_are_walked_at(shipped, checklist_id, kind):
    assert shipped[0][checklist_id].applies_to(kind)


def test_the_worked_case_can_be_recorded(shipped):
    """The party secretary who drove two arrivals in his own car wearing one ordinary mask."""
    same_vehicle = shipped[0]["quarantine_transfer"].item("QT-04")
    assert "同乘一车" in same_vehicle.text.zh and "same vehicle" in same_vehicle.text.en
    one_mask = shipped[0]["ppe_use"].item("PPE-01")
    assert "普通口罩" in one_mask.text.zh and "single ordinary mask" in one_mask.text.en
    for item in (same_vehicle, one_mask):
        assert item.response is ResponseType.PASS_FAIL
        assert item.severity is Severity.CRITICAL
        assert item.photo_required


@pytest.mark.parametrize(
    "checklist_id, item_id, value, result",
    [
        ("food_safety", "FS-01", 0.55, Result.FAIL),
        ("food_safety", "FS-01", 0.25, Result.PASS),
        ("isolation_point", "IP-06", 1, Result.FAIL),
        ("isolation_point", "IP-06", 2, Result.PASS),
        ("waste_removal", "WR-06", 0, Result.FAIL),
        ("waste_removal", "WR-06", 3, Result.PASS),
    ],
)
def test_a_measurement_beyond_its_limit_fails_the_item_by_itself(shipped, checklist_id, item_id, value, result):
    assert shipped[0][checklist_id].item(item_id).result_for(value) is result


def test_limits_carry_their_units(shipped):
    assert str(shipped[0]["food_safety"].item("FS-01").limit) == "<= 0.25 g/100 g"
    assert str(shipped[0]["isolation_point"].item("IP-06").limit) == ">= 2 次/天 (times/day)"


# --- content hash and storage form -------------------------------------------------------


def test_content_hash_ignores_layout_and_comments(tmp_path):
    original = load_checklist(SHIPPED / "quarantine_transfer.yaml")
    data = yaml.safe_load((SHIPPED / "quarantine_transfer.yaml").read_text(encoding="utf-8"))
    data["sections"][0]["items"][0]["photo_required"] = False  # the default, spelt out
    data["sections"][0]["items"][1]["text"]["en"] += "\n"  # a trailing newline, as `|` blocks leave
    text = "# reformatted\n" + yaml.safe_dump(
        data, allow_unicode=True, sort_keys=True, default_flow_style=True, width=60
    )
    reformatted = load_checklist(write(tmp_path, "reformatted.yaml", text))
    assert reformatted == original
    assert reformatted.content_hash == original.content_hash


@pytest.mark.parametrize(
    "old, new",
    [
        ("zh: 专车转运", "zh: 专用车辆转运"),
        ("value: 2,", "value: 3,"),
        ("severity: major", "severity: minor"),
        ("version: 1", "version: 2"),
    ],
)
def test_content_hash_changes_with_wording_limits_and_version(tmp_path, old, new):
    before = load_checklist(write(tmp_path, "before.yaml", VALID))
    after = load_checklist(write(tmp_path, "after.yaml", broken(old, new)))
    assert len(after.content_hash) == 64
    assert after.content_hash != before.content_hash


def test_every_shipped_checklist_survives_a_round_trip_through_json(shipped):
    for checklist in shipped[0].values():
        stored = json.loads(json.dumps(checklist_to_dict(checklist), ensure_ascii=False))
        assert checklist_from_dict(stored) == checklist


def test_a_stored_checklist_is_validated_when_read_back():
    data = checklist_to_dict(load_checklist(SHIPPED / "food_safety.yaml"))
    data["sections"][0]["items"][0]["limit"] = None
    with pytest.raises(ChecklistError, match="FS-01: a number item needs a limit"):
        checklist_from_dict(data)


# --- broken files ------------------------------------------------------------------------

BROKEN = {
    "bad YAML syntax": (
        broken("title: {zh: 演示清单, en: Demo checklist}", "title: {zh: 演示清单, en: Demo checklist"),
        4,
        None,
        "not valid YAML: expected ',' or '}', but got '<scalar>' (while parsing a flow mapping on line 3)",
    ),
    "tab indentation": (
        broken("        severity: critical", "\tseverity: critical"),
        15,
        None,
        "not valid YAML: found character '\\t' that cannot start any token",
    ),
    "empty file": ("", None, None, "the file is empty"),
    "only comments": ("# nothing here yet\n", None, None, "the file is empty"),
    "a list, not a checklist": (
        "- DM-01\n- DM-02\n",
        1,
        None,
        "the file must hold one checklist: a mapping with id, version, title, site_kinds and sections",
    ),
    "missing id": (broken("id: demo ", "# "), 2, None, "missing field 'id'"),
    "duplicate item ids": (
        broken("- id: DM-02", "- id: DM-01"),
        13,
        "DM-01",
        "duplicate item id (first used on line 9)",
    ),
    "unknown response type": (
        broken("response: pass_fail", "response: yes_no"),
        12,
        "DM-01",
        "unknown response type 'yes_no'; use one of: pass_fail, number, text",
    ),
    "number item without limit": (
        broken('limit: {comparison: ">=", value: 2, unit: 次/天}', ""),
        16,
        "DM-02",
        "a number item needs a limit (comparison, value and unit)",
    ),
    "limit without unit": (broken(", unit: 次/天", ""), 17, "DM-02", "missing field 'limit.unit'"),
    "limit on a pass_fail item": (
        broken("response: number", "response: pass_fail"),
        17,
        "DM-02",
        "a pass_fail item takes no limit; remove 'limit' or set 'response: number'",
    ),
    "missing en translation": (
        broken("{zh: 专车转运, en: Dedicated vehicle}", "{zh: 专车转运}"),
        10,
        "DM-01",
        "missing field 'text.en' (English text)",
    ),
    "blank zh translation": (
        broken("{zh: 主要, en: Main}", "{zh: ' ', en: Main}"),
        7,
        None,
        "'title.zh' in section 'main' must not be empty",
    ),
    "version not a number": (
        broken("version: 1", "version: abc"),
        2,
        None,
        "'version' must be a whole number, not 'abc'",
    ),
    "version zero": (broken("version: 1", "version: 0"), 2, None, "'version' must be at least 1"),
    "limit value not a number": (
        broken("value: 2", "value: two"),
        17,
        "DM-02",
        "'limit.value' must be a number, not 'two'",
    ),
    "photo_required not a boolean": (
        broken("photo_required: true", "photo_required: sometimes"),
        18,
        "DM-02",
        "'photo_required' must be true or false, not 'sometimes'",
    ),
    "empty section": (
        VALID + "  - id: spare\n    title: {zh: 备用, en: Spare}\n    items: []\n",
        21,
        None,
        "section 'spare' has no items; add an item or remove the section",
    ),
    "unknown site kind": (
        broken("[isolation_point, community]", "[isolation_pint, community]"),
        4,
        None,
        "unknown site kind 'isolation_pint' (did you mean 'isolation_point'?); use one of: isolation_point, "
        "fever_clinic, hospital, community_health_centre, community, enterprise, checkpoint",
    ),
    "misspelt severity": (
        broken("severity: major", "severity: majr"),
        11,
        "DM-01",
        "unknown severity 'majr' (did you mean 'major'?); use one of: minor, major, critical",
    ),
    "misspelt key": (
        broken("photo_required: true", "photo_requird: true"),
        18,
        "DM-02",
        "unknown field 'photo_requird' (did you mean 'photo_required'?); "
        "allowed: id, text, severity, response, limit, photo_required, rule",
    ),
    "key given twice": (
        broken("version: 1 ", "version: 1\nversion: 2 "),
        3,
        None,
        "key 'version' is given twice (first on line 2)",
    ),
    "item id not text": (broken("- id: DM-01", "- id: 1"), 9, None, "'id' in item must be text, not 1"),
    "item not a mapping": (
        broken("      - id: DM-01   ", "      - DM-01\n      - id: DM-03"),
        9,
        None,
        "each entry of 'items' in section 'main' must be a mapping with "
        "id, text, severity, response, limit, photo_required, rule, not 'DM-01'",
    ),
    "item without id": (broken("- id: DM-01", "- photo_required: false"), 9, None, "missing field 'id' in item"),
    "section without title": (
        broken("    title: {zh: 主要, en: Main}", "   "),
        6,
        None,
        "missing field 'title' in section 'main'",
    ),
    "checklist id with spaces": (
        broken("id: demo ", "id: Demo List "),
        1,
        None,
        "checklist id 'Demo List' may hold only lower-case letters, digits and '_' (like quarantine_transfer)",
    ),
    "site kind listed twice": (
        broken("[isolation_point, community]", "[community, community]"),
        4,
        None,
        "site kind 'community' is listed twice",
    ),
}


@pytest.mark.parametrize("text, line, item, reason", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_file_is_reported_with_line_item_and_reason(tmp_path, text, line, item, reason):
    path = write(tmp_path, "broken.yaml", text)
    with pytest.raises(ChecklistError) as raised:
        load_checklist(path)
    assert raised.value.problems == [Problem(str(path), line, item, reason)]


def test_every_problem_in_a_file_is_reported_not_just_the_first(tmp_path):
    text = broken("severity: major", "severity: majr").replace("value: 2", "value: two")
    path = write(tmp_path, "two.yaml", text)
    with pytest.raises(ChecklistError) as raised:
        load_checklist(path)
    assert str(raised.value).splitlines()[1:] == [
        f"{path}:11: item DM-01: unknown severity 'majr' (did you mean 'major'?); use one of: minor, major, critical",
        f"{path}:17: item DM-02: 'limit.value' must be a number, not 'two'",
    ]


@pytest.mark.parametrize(
    "problem, text",
    [
        (
            Problem("a.yaml", 17, "DM-02", "missing field 'limit.unit'"),
            "a.yaml:17: item DM-02: missing field 'limit.unit'",
        ),
        (Problem("a.yaml", 3, None, "missing field 'id'"), "a.yaml:3: missing field 'id'"),
        (Problem("a.yaml", None, None, "the file is empty"), "a.yaml: the file is empty"),
    ],
)
def test_a_problem_reads_as_file_line_item_reason(problem, text):
    assert str(problem) == text


# --- a directory -------------------------------------------------------------------------


def test_a_broken_file_does_not_stop_the_good_ones_from_loading(tmp_path):
    write(tmp_path, "a_good.yaml", VALID)
    write(tmp_path, "b_broken.yaml", broken("version: 1", "version: abc"))
    write(tmp_path, "c_good.yaml", VALID.replace("id: demo ", "id: other "))
    write(tmp_path, "README.md", "not a checklist")
    result = load_checklists(tmp_path)
    assert [checklist.id for checklist in result.checklists] == ["demo", "other"]
    assert [str(problem) for problem in result.problems] == [
        f"{tmp_path / 'b_broken.yaml'}:2: 'version' must be a whole number, not 'abc'"
    ]
    assert result.sources == {"demo": str(tmp_path / "a_good.yaml"), "other": str(tmp_path / "c_good.yaml")}


def test_two_files_with_one_checklist_id_are_a_problem(tmp_path):
    write(tmp_path, "first.yaml", VALID)
    second = write(tmp_path, "second.yaml", "# copied\n" + VALID)
    result = load_checklists(tmp_path)
    assert [checklist.id for checklist in result.checklists] == ["demo"]
    assert result.sources["demo"] == str(tmp_path / "first.yaml")
    assert result.problems == [
        Problem(
            str(second), 2, None, "checklist id 'demo' is already used by first.yaml; give each checklist its own id"
        )
    ]


def test_a_missing_or_empty_directory_is_reported(tmp_path):
    assert [p.reason for p in load_checklists(tmp_path / "nowhere").problems] == ["no such directory"]
    assert [p.reason for p in load_checklists(tmp_path).problems] == ["no checklist files (*.yaml) here"]
