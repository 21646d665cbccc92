import pytest

from audit.errors import PermissionDenied
from audit.model import Role, User
from audit.services.permissions import GRANTS, Permission, can, require, unit_scope


def user(role: Role, unit: str | None = None, active: bool = True) -> User:
    return User(id="u1", username=role.value, display_name=role.value, role=role, unit=unit, active=active)


def test_supervisor_may_do_all_an_inspector_may_and_more():
    assert GRANTS[Role.INSPECTOR] < GRANTS[Role.SUPERVISOR]
    assert can(user(Role.SUPERVISOR), Permission.EXPORT)
    assert not can(user(Role.INSPECTOR), Permission.EXPORT)


def test_admin_manages_but_does_not_inspect():
    assert can(user(Role.ADMIN), Permission.MANAGE_ACCOUNTS)
    with pytest.raises(PermissionDenied, match="may not run inspection"):
        require(user(Role.ADMIN), Permission.RUN_INSPECTION)


def test_disabled_and_missing_accounts_may_do_nothing():
    assert not can(user(Role.SUPERVISOR, active=False), Permission.VIEW_LEDGER)
    with pytest.raises(PermissionDenied, match="sign in"):
        require(None, Permission.VIEW_LEDGER)


def test_unit_accounts_are_confined_to_their_unit():
    assert unit_scope(user(Role.UNIT, unit="国胜社区居委会")) == "国胜社区居委会"
    assert unit_scope(user(Role.SUPERVISOR)) is None
    with pytest.raises(PermissionDenied, match="no unit set"):
        unit_scope(user(Role.UNIT))
