"""What the lake's writers share: accounts, a site, a checklist and one finding both will try to edit."""

from __future__ import annotations

from audit.model import Role, User
from audit.store import audit_log
from audit.store.findings import insert_finding
from tests.factories import GUOSHENG, add_site, make_finding, make_site, register, store_accounts, transfer_checklist

# Fixed ids: every writing process must name the same accounts.
INSPECTOR = User(id="u-inspector", username="chenming", display_name="陈明", role=Role.INSPECTOR)
UNIT_ACCOUNT = User(id="u-unit", username="guosheng", display_name="国胜社区", role=Role.UNIT, unit=GUOSHENG)
SITE_ID = "site-lake"

__all__ = ["INSPECTOR", "SITE_ID", "UNIT_ACCOUNT", "set_scene"]


def set_scene(database) -> str:
    """Accounts, the site and the checklist; returns the id of the finding both writers edit at once."""
    store_accounts(database, INSPECTOR, UNIT_ACCOUNT)
    register(database, transfer_checklist())
    add_site(database, make_site(id=SITE_ID))
    finding = make_finding("2025-0001", site_id=SITE_ID, responsible_unit=GUOSHENG)
    with database.write() as cursor:
        insert_finding(cursor, finding)
        audit_log.append(cursor, actor="test", action="finding.recorded", entity="finding", entity_id=finding.id)
    return finding.id
