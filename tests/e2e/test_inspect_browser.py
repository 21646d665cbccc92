"""The worked case (audit.demo.wording.WorkedCase) in real Chromium at tablet sizes.

Late at night at a centralised isolation point: a community secretary drove two arrivals
in his own car (quarantine transfer, QT-04) wearing one ordinary mask (PPE use, PPE-01).
Both items fail with a photo uploaded; both inspections are submitted; the findings are
then read from the database file after the server has stopped.
"""

from __future__ import annotations

import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from audit.services.sites import import_sites_csv
from audit.store import open_database
from audit.store.findings import findings_of_inspection
from audit.store.photos import photos_of_finding
from tests.conftest import ROOT
from tests.e2e.conftest import account, no_horizontal_scroll, screenshot, sign_in, wait_for_app

pytestmark = pytest.mark.e2e

SITE = "光明商务酒店集中隔离点"
TRANSFER = [["QT-01", "QT-02"], ["QT-03", "QT-04", "QT-05", "QT-06"], ["QT-07", "QT-08", "QT-09"]]
PPE = [["PPE-01", "PPE-02", "PPE-03", "PPE-04", "PPE-05"], ["PPE-06", "PPE-07", "PPE-08"], ["PPE-09", "PPE-10"]]


def tall_screenshot(page, name: str) -> None:
    """Streamlit scrolls inside its main area, so grow the viewport to the content for a whole-page picture."""
    size = page.viewport_size
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    screenshot(page, name)
    page.set_viewport_size(size)


COUNT_MESSAGES = """(() => {
    // Every rerun answers over the websocket; count its messages so a test can wait for the answer.
    const Socket = window.WebSocket;
    window.__messages = 0;
    window.__lastMessage = 0;
    window.WebSocket = class extends Socket {
        constructor(...args) {
            super(...args);
            this.addEventListener('message', () => { window.__messages += 1; window.__lastMessage = performance.now(); });
        }
    };
})()"""
ANSWERED = """before => window.__messages > before && performance.now() - window.__lastMessage > 250 &&
    document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state') === 'notRunning'"""


def count_messages(page) -> None:
    """Install the message counter on every document this page loads."""
    page.add_init_script(COUNT_MESSAGES)


def rerun(page, action) -> None:
    """Do something that reruns the page, then wait until the server has answered and gone quiet."""
    before = page.evaluate("window.__messages")
    action()
    page.wait_for_function(ANSWERED, arg=before)


def item(page, item_id: str):
    return page.locator(f".st-key-item-{item_id}")


def answer(page, item_id: str, label: str) -> None:
    rerun(page, item(page, item_id).get_by_role("radio", name=label).click)


def type_into(page, field, text: str) -> None:
    field.fill(text)
    rerun(page, field.blur)


def click(page, role: str, name) -> None:
    rerun(page, page.get_by_role(role, name=name).click)


def start(page, checklist: str) -> None:
    search = page.get_by_placeholder("输入站点名称的一部分")
    search.fill("光明商务")
    rerun(page, lambda: search.press("Enter"))
    rerun(page, page.get_by_text(SITE, exact=True).click)
    click(page, "radio", checklist)
    assert no_horizontal_scroll(page)


def go(page) -> str:
    click(page, "button", "开始检查")
    page.wait_for_url(re.compile(r"inspection="))
    wait_for_app(page)
    return page.url.split("inspection=")[1]


def record_finding(page, item_id: str, description: str, photo, measure: str = "") -> None:
    answer(page, item_id, "✗ 不合格")
    form = item(page, item_id)
    type_into(page, form.get_by_label("问题描述"), description)
    if measure:
        type_into(page, form.get_by_label("立行立改措施（可选）"), measure)
    rerun(page, lambda: form.locator("input[type=file]").set_input_files(str(photo)))
    form.get_by_role("img").first.wait_for()


def save_finding(page, item_id: str) -> None:
    rerun(page, item(page, item_id).get_by_role("button", name="保存问题").click)
    item(page, item_id).get_by_text("问题已保存").wait_for()


def next_step(page) -> None:
    click(page, "button", re.compile("^下一步"))


def walk(page, sections: list[list[str]], failures: dict[str, tuple[str, str]], photo) -> None:
    for section in sections:
        for item_id in section:
            if item_id in failures:
                description, measure = failures[item_id]
                record_finding(page, item_id, description, photo, measure)
                save_finding(page, item_id)
            else:
                answer(page, item_id, "✓ 合格")
        next_step(page)


def submit(page, name: str) -> None:
    next_step(page)  # past "other findings" to the review
    rerun(page, page.get_by_text("我已核对以上内容").click)
    tall_screenshot(page, f"{name}-review")
    click(page, "button", "提交检查")
    page.get_by_text("检查已提交").wait_for()


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "evidence.jpg"
    Image.new("RGB", (1200, 900), "navy").save(path, format="JPEG")
    return path


def test_the_worked_case_on_a_tablet(tmp_path, start_server, tablet, photo):
    db_path = tmp_path / "audit.duckdb"
    database = open_database(db_path)
    import_sites_csv(database, ROOT / "data" / "sites.csv", "test")
    database.close()
    credentials = account(db_path, "inspector")
    server = start_server(db_path)
    count_messages(tablet)
    sign_in(tablet, f"{server.url}/inspect", *credentials)

    start(tablet, "规范转运")
    tall_screenshot(tablet, "inspect-start")
    transfer = go(tablet)
    walk(tablet, TRANSFER[:1], {}, photo)
    record_finding(
        tablet,
        "QT-04",
        "社区党总支书记用私家车将两名外省返回人员送至6.5公里外的隔离点，与其同乘一车",
        photo,
        "当事人就地隔离观察，车辆立即消毒",
    )
    sign_in(tablet, f"{server.url}/inspect?inspection={transfer}", *credentials)  # a new session: nothing lost
    form = item(tablet, "QT-04")
    expect(form.get_by_role("radio", name="✗ 不合格")).to_have_attribute("aria-checked", "true")
    expect(form.get_by_label("问题描述")).to_have_value(re.compile("^社区党总支书记用私家车"))
    expect(form.get_by_label("立行立改措施（可选）")).to_have_value("当事人就地隔离观察，车辆立即消毒")
    assert no_horizontal_scroll(tablet)
    tall_screenshot(tablet, "inspect-finding")
    save_finding(tablet, "QT-04")
    for item_id in ("QT-03", "QT-05", "QT-06"):
        answer(tablet, item_id, "✓ 合格")
    next_step(tablet)
    walk(tablet, TRANSFER[2:], {}, photo)
    submit(tablet, "inspect-transfer")
    tall_screenshot(tablet, "inspect-submitted")

    click(tablet, "button", "开始新检查")
    start(tablet, "个人防护")
    ppe = go(tablet)
    walk(tablet, PPE, {"PPE-01": ("接触拟隔离人员时仅佩戴一层普通口罩", "")}, photo)
    submit(tablet, "inspect-ppe")
    assert no_horizontal_scroll(tablet)

    server.stop()
    database = open_database(db_path, read_only=True)
    with database.read() as cursor:
        quarantine, mask = findings_of_inspection(cursor, transfer), findings_of_inspection(cursor, ppe)
        assert [(f.item_id, f.severity.value, f.status.value) for f in quarantine] == [("QT-04", "critical", "open")]
        assert [(f.item_id, f.severity.value, f.status.value) for f in mask] == [("PPE-01", "critical", "open")]
        assert quarantine[0].immediate_measure == "当事人就地隔离观察，车辆立即消毒"
        assert quarantine[0].responsible_unit == "光明商务酒店集中隔离点工作专班"
        assert mask[0].description == "接触拟隔离人员时仅佩戴一层普通口罩"
        assert quarantine[0].number != mask[0].number
        for finding in quarantine + mask:
            assert [p.stage for p in photos_of_finding(cursor, finding.id)] == ["found"]
    database.close()
