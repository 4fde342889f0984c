"""Creating the workspace and reading or changing its settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, select

from keito_core.enums import Role, UserStatus, UserType, WeekDay
from keito_core.errors import KeitoError, conflict
from keito_core.models import LLM_USAGE, ExpenseCategory, User, Workspace
from keito_core.platform import audit
from keito_core.platform.identity import get_workspace
from keito_core.platform.ids import new_id
from keito_core.rules import permissions as policy
from keito_core.rules.money import validate_currency
from keito_core.rules.periods import parse_timezone
from keito_core.rules.text import slugify, validate_email, validate_name
from keito_core.services.workspace.settings_registry import SETTINGS, SettingSpec, find_setting


@dataclass(frozen=True)
class DefaultCategory:
    name: str
    unit_name: str | None = None
    unit_price: Decimal | None = None
    builtin: bool = False


#: The reference's six default categories plus the built-in LLM Usage category.
DEFAULT_CATEGORIES = (
    DefaultCategory("Meals & Entertainment"),
    DefaultCategory("Transportation"),
    DefaultCategory("Lodging"),
    DefaultCategory("Mileage", unit_name="mile", unit_price=Decimal("0.67")),
    DefaultCategory("Software & Subscriptions"),
    DefaultCategory("Office Supplies"),
    DefaultCategory(LLM_USAGE, unit_name="1k tokens", unit_price=Decimal("0.003"), builtin=True),
)


def init_workspace(
    session: Session,
    *,
    company: str,
    currency: str,
    timezone: str,
    week_start: WeekDay | str = WeekDay.MONDAY,
    admin_name: str,
    admin_email: str,
    now: datetime,
) -> tuple[Workspace, User]:
    """Create the workspace, its first administrator and the default expense categories."""
    if session.exec(select(Workspace)).first() is not None:
        raise conflict("this database already has a workspace", hint="see `keito settings list`")
    try:
        week_start = WeekDay(str(week_start).strip().lower())
    except ValueError:
        raise KeitoError(
            "validation_error",
            f"unknown week start day: {week_start!r}",
            field="week_start",
            hint="use a day name such as monday or sunday",
        ) from None
    timezone = parse_timezone(timezone).key
    workspace = Workspace(
        id=new_id("workspace"),
        name=validate_name(company, "company"),
        currency=validate_currency(currency),
        timezone=timezone,
        week_start=week_start,
        created_at=now, updated_at=now,
    )
    admin = User(
        id=new_id("user"),
        name=validate_name(admin_name, "name"),
        email=validate_email(admin_email),
        user_type=UserType.HUMAN,
        role=Role.ADMIN,
        status=UserStatus.ACTIVE,
        created_at=now, updated_at=now,
    )
    workspace.default_user_id = admin.id
    session.add(admin)
    session.flush()
    session.add(workspace)
    for category in DEFAULT_CATEGORIES:
        session.add(
            ExpenseCategory(
                id=new_id("expense_category"),
                name=category.name,
                handle=slugify(category.name),
                unit_name=category.unit_name,
                unit_price=category.unit_price,
                is_builtin=category.builtin,
                created_at=now, updated_at=now,
            )
        )
    session.flush()
    audit.record(session, actor_id=admin.id, action="workspace.create", entity=workspace, now=now)
    return workspace, admin


@dataclass(frozen=True)
class SettingValue:
    key: str
    value: object
    description: str
    group: str


def list_settings(session: Session, *, actor: policy.Actor) -> list[SettingValue]:
    """Every setting with its current value."""
    policy.require(actor, policy.Action.WORKSPACE_VIEW)
    workspace = get_workspace(session)
    return [_value_of(workspace, spec) for spec in SETTINGS]


def get_setting(session: Session, *, actor: policy.Actor, key: str) -> SettingValue:
    policy.require(actor, policy.Action.WORKSPACE_VIEW)
    return _value_of(get_workspace(session), find_setting(key))


def check_setting_change(actor: policy.Actor) -> None:
    """Refuse, as set_setting does, an actor who may not change settings."""
    policy.require(actor, policy.Action.WORKSPACE_EDIT)


def set_setting(session: Session, *, actor: policy.Actor, key: str, value: str,
                now: datetime) -> SettingValue:
    """Validate and store one setting (administrators only)."""
    check_setting_change(actor)
    spec = find_setting(key)
    workspace = get_workspace(session)
    stored = spec.parse(value, session)
    diff = audit.apply_changes(workspace, {spec.attr: stored})
    if diff:
        workspace.updated_at = now
        session.add(workspace)
        audit.record(
            session,
            actor_id=actor.user_id,
            action="workspace.setting",
            entity=workspace,
            changes=diff,
            now=now,
        )
    return _value_of(workspace, spec)


def _value_of(workspace: Workspace, spec: SettingSpec) -> SettingValue:
    return SettingValue(
        key=spec.key,
        value=spec.show(getattr(workspace, spec.attr)),
        description=spec.description,
        group=spec.group,
    )
