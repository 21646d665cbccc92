"""The sites tab of the administration page: find a site, add or correct one, deactivate it.

A site keeps its code for life (findings point to it); correcting a site changes everything
else. A deactivated site stays in the registry so old findings still name it.
"""

from __future__ import annotations

import streamlit as st

from audit import i18n
from audit.i18n import short
from audit.model import Site, SiteKind
from audit.services.administration import find_sites, save_site, set_site_active
from audit.ui.admin_accounts import attempt, show_outcome
from audit.ui.session import database, guarded, language, t

_PAIRS = ("name", "district", "subdistrict", "community", "unit")
_NEW = "__new__"


def _kind_names():
    """Bound to this run's language: Streamlit may call a format function outside the run."""
    lang = language()
    return lambda kind: i18n.t(f"admin.sites.kind.{kind}", lang)


def _site_table(found: list[Site]) -> None:
    lang, kind_name = short(language()), _kind_names()
    if not found:
        st.info(t("admin.sites.none"))
        return
    st.dataframe(
        [
            {
                t("admin.sites.code"): s.code,
                t("admin.sites.name"): s.name.get(lang),
                t("admin.sites.kind"): kind_name(s.kind.value),
                t("admin.sites.community"): s.community.get(lang),
                t("admin.sites.unit"): s.unit.get(lang),
                t("admin.accounts.state"): t("admin.accounts.active" if s.active else "admin.sites.inactive"),
            }
            for s in found
        ],
        hide_index=True,
        width="stretch",
    )


def _values(prefix: str) -> dict[str, str]:
    state = st.session_state
    values = {"code": state.get(f"{prefix}.code", ""), "kind": state.get(f"{prefix}.kind") or ""}
    for pair in _PAIRS:
        for suffix in ("zh", "en"):
            values[f"{pair}_{suffix}"] = state.get(f"{prefix}.{pair}_{suffix}", "")
    return values


def _site_form(admin, site: Site | None) -> None:
    prefix = f"site.{site.id if site else _NEW}"
    first, second = st.columns(2)
    first.text_input(
        t("admin.sites.code"),
        value=site.code if site else "",
        key=f"{prefix}.code",
        disabled=site is not None,
        help=t("admin.sites.code_help"),
    )
    kinds = [kind.value for kind in SiteKind]
    second.selectbox(
        t("admin.sites.kind"),
        kinds,
        index=kinds.index(site.kind.value) if site else None,
        format_func=_kind_names(),
        key=f"{prefix}.kind",
        placeholder="",
    )
    for pair in _PAIRS:
        zh, en = st.columns(2)
        text = getattr(site, pair) if site else None
        label = t(f"admin.sites.{pair}")
        zh.text_input(t("admin.sites.in_zh", field=label), value=text.zh if text else "", key=f"{prefix}.{pair}_zh")
        en.text_input(t("admin.sites.in_en", field=label), value=text.en if text else "", key=f"{prefix}.{pair}_en")
    st.button(
        t("admin.sites.save"),
        type="primary",
        width="stretch",
        key=f"{prefix}.save",
        on_click=guarded(attempt),
        args=(
            lambda: save_site(database(), admin, _values(prefix)),
            lambda saved: t("admin.sites.saved", code=saved.code),
            "sites",
        ),
    )
    if site:
        active = not site.active
        st.button(
            t("admin.sites.enable" if active else "admin.sites.deactivate"),
            width="stretch",
            key=f"{prefix}.active",
            on_click=guarded(attempt),
            args=(
                lambda: set_site_active(database(), admin, site.id, active),
                lambda changed: t("admin.sites.enabled" if active else "admin.sites.deactivated", code=changed.code),
                "sites",
            ),
        )


def sites_tab(admin) -> None:
    show_outcome("sites")
    search = st.text_input(t("admin.sites.search"), key="site.search", placeholder=t("admin.sites.search_hint"))
    found = find_sites(database(), admin, search or None)
    st.caption(t("admin.sites.count", count=len(found)))
    _site_table(found)
    with st.expander(t("admin.sites.edit"), icon=":material/edit_location_alt:"):
        lang = short(language())
        options = [_NEW, *(site.id for site in found)]
        names = {site.id: f"{site.code} · {site.name.get(lang)}" for site in found} | {_NEW: t("admin.sites.new")}
        chosen = st.selectbox(t("admin.sites.pick"), options, format_func=names.get, key="site.pick")
        _site_form(admin, next((site for site in found if site.id == chosen), None))
