"""Starting an inspection: find the site, pick a checklist that applies to it, name the team and the time."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from audit import i18n
from audit.errors import AuditError
from audit.model import Site, SiteKind
from audit.services.inspections import checklists_for, find_sites, known_inspectors, site_places, start_inspection
from audit.ui.errors import show_error
from audit.ui.inspect_common import labels, plain
from audit.ui.session import current_user, database, language, t

SHOWN_SITES = 12


def _site_label(site: Site) -> str:
    lang = i18n.short(language())
    place = f"{site.subdistrict.get(lang)} · {site.community.get(lang)} · {t(f'inspect.kind.{site.kind.value}')}"
    return f"**{plain(site.name.get(lang))}**  \n:gray[{plain(place)}]"


def _filters() -> dict:
    lang = i18n.short(language())
    places = site_places(database(), current_user())
    text = st.text_input(
        t("inspect.start.search"),
        key="inspect.start.text",
        placeholder=t("inspect.start.search_placeholder"),
        icon=":material/search:",
    )
    left, middle, right = st.columns(3)
    subdistricts = {p.subdistrict.zh: p.subdistrict.get(lang) for p in places}
    subdistrict = left.selectbox(
        t("inspect.start.subdistrict"),
        list(subdistricts),
        index=None,
        key="inspect.start.sub",
        placeholder=t("inspect.start.any"),
        format_func=subdistricts.get,
    )
    communities = {p.community.zh: p.community.get(lang) for p in places if p.subdistrict.zh == subdistrict}
    community = middle.selectbox(
        t("inspect.start.community"),
        list(communities),
        index=None,
        key="inspect.start.community",
        placeholder=t("inspect.start.any"),
        format_func=communities.get,
        disabled=not subdistrict,
    )
    kind = right.selectbox(
        t("inspect.start.kind"),
        [k.value for k in SiteKind],
        index=None,
        key="inspect.start.kind",
        placeholder=t("inspect.start.any"),
        format_func=labels("inspect.kind", [k.value for k in SiteKind]),
    )
    return {"text": text or "", "subdistrict": subdistrict, "community": community, "kind": kind}


def _choose_site() -> Site | None:
    sites = find_sites(database(), current_user(), limit=SHOWN_SITES + 1, **_filters())
    if not sites:
        st.info(t("inspect.start.no_sites"))
        return None
    if len(sites) > SHOWN_SITES:
        st.caption(t("inspect.start.more_sites", count=SHOWN_SITES))
    by_id = {site.id: site for site in sites[:SHOWN_SITES]}
    chosen = st.radio(
        t("inspect.field.site"),
        list(by_id),
        index=None,
        key="inspect.start.site",
        format_func={i: _site_label(site) for i, site in by_id.items()}.get,
    )
    return by_id.get(chosen)


def start_form() -> None:
    st.title(t("inspect.start.title"))
    st.caption(t("inspect.start.subtitle"))
    site = _choose_site()
    if site is None:
        return
    lang = i18n.short(language())
    checklists = {c.id: c for c in checklists_for(database(), current_user(), site.id)}
    if not checklists:
        st.info(t("inspect.start.no_checklists"))
        return
    checklist_id = st.pills(
        t("inspect.field.checklist"),
        list(checklists),
        key=f"inspect.start.checklist.{site.id}",
        format_func=lambda c: plain(checklists[c].title.get(lang)),
    )
    user = current_user()
    names = known_inspectors(database(), user)
    team = st.multiselect(
        t("inspect.field.inspectors"),
        names,
        default=[user.display_name],
        accept_new_options=True,
        key="inspect.start.team",
        placeholder=t("inspect.start.team_placeholder"),
    )
    when = st.datetime_input(t("inspect.field.started_at"), key="inspect.start.when", format="YYYY-MM-DD", step=60)
    if st.button(
        t("inspect.start.go"), type="primary", width="stretch", icon=":material/play_arrow:", key="inspect.start.go"
    ):
        _start(site.id, checklist_id, team, when)


def _start(site_id: str, checklist_id: str | None, team: list[str], when: datetime | None) -> None:
    try:
        inspection = start_inspection(
            database(), current_user(), site_id=site_id, checklist_id=checklist_id, inspectors=team, started_at=when
        )
    except AuditError as error:
        show_error(error)
        return
    st.query_params["inspection"] = inspection.id
    st.rerun()
