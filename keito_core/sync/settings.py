"""The administrator's mappings: which remote account, tax rate, item or employee each Keito
thing becomes, and the sync preferences (`keito sync settings`, the app's Settings).

Each provider names its settings (`xero.SETTINGS`, `quickbooks.SETTINGS`); this module says
what kind of value each one takes and checks a change against the remote choices the provider
read (`Provider.choices()`), so a mapping always names something that exists remotely. A value
may be given by ID or by its exact name; the ID is stored. Map settings take a key after a dot:
`tax_types.tax1=OUTPUT2`, `employees.sarah@acme.test=55`, `task_items.design=3` (people and
tasks by any reference the command line takes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from keito_core.enums import SyncProvider
from keito_core.errors import KeitoError, validation
from keito_core.models import SyncConnection
from keito_core.platform import audit
from keito_core.platform.lookup import find_task, find_user
from keito_core.rules import permissions as policy
from keito_core.sync.provider import Choice


@dataclass(frozen=True)
class Setting:
    key: str
    #: "choice" (one remote ID), "map" (keys -> remote IDs), "bool", "enum".
    kind: str
    #: The `choices()` list the value (or each mapped value) must come from.
    choices: str | None = None
    #: A map's keys: a fixed set, or "user"/"task" for Keito records.
    keys: tuple[str, ...] | str = ()
    values: tuple[str, ...] = ()


SPECS: dict[SyncProvider, tuple[Setting, ...]] = {
    SyncProvider.XERO: (
        Setting("revenue_account", "choice", "revenue_account"),
        Setting("line_accounts", "map", "revenue_account", ("service", "product", "expense")),
        Setting("payment_account", "choice", "payment_account"),
        Setting("tax_types", "map", "tax_types", ("none", "tax1", "tax2", "both")),
        Setting("invoice_status", "enum", values=("DRAFT", "AUTHORISED")),
        Setting("sync_on_send", "bool"),
    ),
    SyncProvider.QUICKBOOKS: (
        Setting("income_account", "choice", "income_accounts"),
        Setting("deposit_account", "choice", "deposit_accounts"),
        Setting("items", "map", "items", ("service", "product", "expense")),
        Setting("task_items", "map", "items", "task"),
        Setting("employees", "map", "employees", "user"),
        Setting("tax_codes", "map", "tax_codes", ("taxed", "untaxed")),
        Setting("sub_customers", "bool"),
        Setting("sync_on_send", "bool"),
    ),
}

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def describe(provider: SyncProvider | str) -> dict[str, str]:
    """Each setting's documentation, from the provider's module."""
    provider = SyncProvider(provider)
    if provider is SyncProvider.XERO:
        from keito_core.sync.xero import SETTINGS as XERO_SETTINGS

        return dict(XERO_SETTINGS)
    from keito_core.sync.quickbooks import SETTINGS as QUICKBOOKS_SETTINGS

    return dict(QUICKBOOKS_SETTINGS)


def _spec(provider: SyncProvider, key: str) -> Setting:
    for setting in SPECS[provider]:
        if setting.key == key:
            return setting
    known = ", ".join(s.key for s in SPECS[provider])
    raise validation(f"{provider.value} has no setting {key!r}", field="settings",
                     hint=f"the settings are {known}")


def _pick(value: str, options: Sequence[Choice], what: str) -> str:
    text = value.strip()
    for choice in options:
        if choice.id == text:
            return choice.id
    named = [c for c in options if c.name.casefold() == text.casefold()]
    if len(named) == 1:
        return named[0].id
    if len(named) > 1:
        raise validation(f"{len(named)} {what} are named {text!r}: give the ID",
                         field="settings")
    sample = ", ".join(f"{c.id} ({c.name})" for c in options[:8]) or "none"
    raise validation(f"no {what} {text!r} in the accounting system", field="settings",
                     hint=f"choose one of: {sample}")


def _bool(value: str, key: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise validation(f"{key} takes true or false, not {value!r}", field="settings")


def apply_changes(
    session: Session,
    provider: SyncProvider | str,
    current: Mapping[str, Any],
    *,
    assignments: Sequence[str] = (),
    unset: Sequence[str] = (),
    choices: Mapping[str, Sequence[Choice]] | None = None,
) -> dict[str, Any]:
    """The settings after `key=value` assignments and removals, each value checked against the
    remote `choices` (needed when an assignment names a remote record)."""
    provider = SyncProvider(provider)
    settings: dict[str, Any] = {k: (dict(v) if isinstance(v, Mapping) else v)
                                for k, v in current.items()}
    for item in unset:
        key, _, sub = item.strip().partition(".")
        spec = _spec(provider, key)
        if sub and spec.kind == "map":
            mapped = dict(settings.get(key) or {})
            mapped.pop(_map_key(session, spec, sub), None)
            settings[key] = mapped
        else:
            settings.pop(key, None)
    for item in assignments:
        target, sep, value = item.partition("=")
        if not sep:
            raise validation(f"{item!r} is not KEY=VALUE", field="settings",
                             hint="e.g. --set revenue_account=200 --set tax_types.tax1=OUTPUT2")
        key, _, sub = target.strip().partition(".")
        spec = _spec(provider, key)
        if spec.kind == "bool":
            settings[key] = _bool(value, key)
        elif spec.kind == "enum":
            upper = value.strip().upper()
            if upper not in spec.values:
                raise validation(f"{key} takes {' or '.join(spec.values)}, not {value!r}",
                                 field="settings")
            settings[key] = upper
        else:
            options = list((choices or {}).get(spec.choices or "", []))
            remote = _pick(value, options, spec.choices.replace("_", " ") if spec.choices
                           else key)
            if spec.kind == "choice":
                if sub:
                    raise validation(f"{key} takes one value, not {key}.{sub}",
                                     field="settings")
                settings[key] = remote
            else:
                if not sub:
                    raise validation(f"{key} maps keys: give {key}.KEY=VALUE",
                                     field="settings", hint=_keys_hint(spec))
                mapped = dict(settings.get(key) or {})
                mapped[_map_key(session, spec, sub)] = remote
                settings[key] = mapped
    return settings


def _keys_hint(spec: Setting) -> str:
    if spec.keys == "user":
        return "the key is a person (email, name or ID)"
    if spec.keys == "task":
        return "the key is a task (handle, name or ID)"
    return "the keys are " + ", ".join(spec.keys)


def _map_key(session: Session, spec: Setting, text: str) -> str:
    if spec.keys == "user":
        return find_user(session, text.strip(), field="settings").id
    if spec.keys == "task":
        return find_task(session, text.strip(), field="settings").id
    if text.strip() not in spec.keys:
        raise validation(f"{spec.key} has no key {text!r}", field="settings",
                         hint=_keys_hint(spec))
    return text.strip()


def auto_match_employees(session: Session, current: Mapping[str, Any],
                         employees: Sequence[Choice]) -> tuple[dict[str, Any], list[str]]:
    """Pairs each active person not mapped yet with the one employee of the same name (the
    reference's Auto-Match). Returns the settings and the names matched."""
    from sqlmodel import col, select

    from keito_core.enums import UserStatus, UserType
    from keito_core.models import User

    by_name: dict[str, list[Choice]] = {}
    for employee in employees:
        names = {employee.name}
        given, family = employee.extra.get("given_name"), employee.extra.get("family_name")
        if given or family:
            names.add(" ".join(str(p) for p in (given, family) if p))
        for name in names:
            by_name.setdefault(name.casefold().strip(), []).append(employee)
    mapped = dict(current.get("employees") or {})
    matched = []
    people = session.exec(select(User).where(col(User.user_type) == UserType.HUMAN,
                                             col(User.status) == UserStatus.ACTIVE)
                          .order_by(col(User.name))).all()
    for person in people:
        if person.id in mapped:
            continue
        found = {e.id: e for e in by_name.get(person.name.casefold().strip(), [])}
        if len(found) == 1:
            mapped[person.id] = next(iter(found))
            matched.append(person.name)
    return {**current, "employees": mapped}, matched


def save_settings(session: Session, *, actor: policy.Actor, connection_id: str,
                  settings: Mapping[str, Any], now: datetime) -> SyncConnection:
    """Store the connection's settings (administrators), audited."""
    policy.require(actor, policy.Action.INTEGRATIONS_MANAGE)
    connection = session.get(SyncConnection, connection_id)
    if connection is None or not connection.is_active:
        raise KeitoError("not_found", "no accounting system is connected",
                         hint="run `keito sync connect xero|quickbooks`")
    before = dict(connection.settings or {})
    connection.settings = dict(settings)
    connection.updated_at = now
    changed = {k: settings.get(k) for k in set(before) | set(settings)
               if before.get(k) != settings.get(k)}
    audit.record(session, actor_id=actor.user_id, action="sync_connection.settings",
                 entity=connection, changes=changed, now=now)
    session.flush()
    return connection
