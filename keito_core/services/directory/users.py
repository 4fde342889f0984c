"""Team members and agents: adding, listing, editing, archiving, teammates and business roles."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.enums import EmploymentType, ManagerPermission, Role, UserStatus, UserType
from keito_core.errors import conflict, validation
from keito_core.models import BusinessRole, ManagerTeammate, User, UserBusinessRole
from keito_core.platform import audit
from keito_core.platform.identity import get_workspace
from keito_core.platform.ids import new_id
from keito_core.platform.lookup import find_user
from keito_core.rules import permissions as policy
from keito_core.rules.durations import hours_to_seconds
from keito_core.rules.money import parse_money
from keito_core.rules.periods import parse_timezone
from keito_core.rules.text import slugify, validate_email, validate_name

Action, Target = policy.Action, policy.Target
E = TypeVar("E", bound=StrEnum)

#: Where agents without a real address get one (the reference: "agents may use placeholder").
AGENT_EMAIL_DOMAIN = "agents.keito.local"
MAX_CAPACITY_HOURS = 168
_ROLES = {"member": Role.MEMBER, "manager": Role.MANAGER, "admin": Role.ADMIN,
          "administrator": Role.ADMIN}
#: Fields a user may change on their own profile; everything else is for administrators.
PROFILE_FIELDS = frozenset({"name", "timezone", "phone", "notify_email"})
_ROLE_FIELDS = frozenset({"role"})
_RATE_FIELDS = frozenset({"rate", "cost_rate"})


def parse_role(value: str | Role) -> Role:
    """member, manager or admin (administrator too), case-insensitive."""
    role = _ROLES.get(str(value).strip().lower())
    if role is None:
        raise validation(f"unknown role: {value!r}", field="role",
                         hint="use member, manager or admin")
    return role


def _choice(enum: type[E], value: object, field: str) -> E:
    try:
        return enum(str(value).strip().lower())
    except ValueError:
        raise validation(f"unknown {field.replace('_', ' ')}: {value!r}", field=field,
                         hint="use " + " or ".join(e.value for e in enum)) from None


def parse_permissions(values: Iterable[str], *, field: str) -> list[ManagerPermission]:
    """Manager permission names (create_projects, view_rates ...), or validation_error."""
    found: list[ManagerPermission] = []
    for value in values:
        try:
            permission = ManagerPermission(str(value).strip().lower().replace("-", "_"))
        except ValueError:
            raise validation(
                f"unknown manager permission: {value!r}", field=field,
                hint="one of " + ", ".join(p.value for p in ManagerPermission),
            ) from None
        if permission not in found:
            found.append(permission)
    return found


def _rate(value: Any, field: str) -> Decimal | None:
    return None if value is None else parse_money(value, field=field)


def _capacity(value: Any) -> int | None:
    """Weekly capacity in hours (0 to 168) as seconds; None means the workspace default."""
    if value is None:
        return None
    seconds = hours_to_seconds(value, field="capacity")
    if not 0 <= seconds <= MAX_CAPACITY_HOURS * 3600:
        raise validation(f"capacity must be between 0 and {MAX_CAPACITY_HOURS} hours: {value}",
                         field="capacity")
    return seconds


def _timezone(value: str | None) -> str | None:
    if value is None:
        return None
    parse_timezone(value)
    return value.strip()


def _optional_text(value: str | None, field: str, limit: int) -> str | None:
    cleaned = (value or "").strip()
    if len(cleaned) > limit:
        raise validation(f"{field} is longer than {limit} characters", field=field)
    return cleaned or None


#: edit_user's fields: the column each sets and how its input is parsed (None clears).
_EDITS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "name": ("name", lambda v: validate_name(v or "", "name")),
    "email": ("email", lambda v: validate_email(v or "")),
    "agent": ("user_type", lambda v: UserType.AGENT if v else UserType.HUMAN),
    "role": ("role", lambda v: parse_role(v or "")),
    "employment": ("employment_type", lambda v: _choice(EmploymentType, v, "employment")),
    "rate": ("default_rate", lambda v: _rate(v, "rate")),
    "cost_rate": ("cost_rate", lambda v: _rate(v, "cost_rate")),
    "capacity": ("weekly_capacity_seconds", lambda v: _capacity(v)),
    "timezone": ("timezone", lambda v: _timezone(v)),
    "phone": ("phone", lambda v: _optional_text(v, "phone", 40)),
    "employee_id": ("employee_id", lambda v: _optional_text(v, "employee_id", 64)),
    "notify_email": ("notify_email", bool),
}
EDITABLE = frozenset(_EDITS)


def resolve_user(session: Session, actor: policy.Actor, ref: str | None, *,
                 field: str = "user") -> User:
    """A user by ID, email or name; `me` (or no reference) is the acting user."""
    if ref is None or ref.strip().lower() == "me":
        user = session.get(User, actor.user_id)
        assert user is not None
        return user
    return find_user(session, ref, field=field)


def _check_email_free(session: Session, email: str, *, exclude_id: str | None = None) -> None:
    taken = session.exec(
        select(User.id).where(sa.func.lower(User.email) == email.lower(),
                              User.id != (exclude_id or ""))
    ).first()
    if taken is not None:
        raise conflict(f"another user already has the email {email}", field="email")


def _placeholder_email(session: Session, name: str) -> str:
    base = slugify(name, fallback="agent")
    candidate, n = f"{base}@{AGENT_EMAIL_DOMAIN}", 2
    while session.exec(select(User.id).where(sa.func.lower(User.email) == candidate)).first():
        candidate, n = f"{base}-{n}@{AGENT_EMAIL_DOMAIN}", n + 1
    return candidate


def business_role_names(session: Session, user_id: str) -> list[str]:
    return list(session.exec(
        select(BusinessRole.name)
        .join(UserBusinessRole, col(UserBusinessRole.role_id) == BusinessRole.id)
        .where(UserBusinessRole.user_id == user_id)
        .order_by(sa.func.lower(BusinessRole.name))
    ).all())


def _set_business_roles(session: Session, actor: policy.Actor, user: User,
                        names: Iterable[str], *, now: datetime) -> list[str]:
    """Give `user` exactly these business roles, creating the ones that do not exist yet."""
    wanted: dict[str, BusinessRole] = {}
    for raw in names:
        name = validate_name(raw, "business_role")
        if name.lower() in wanted:
            continue
        role = session.exec(
            select(BusinessRole).where(sa.func.lower(BusinessRole.name) == name.lower())
        ).first()
        if role is None:
            policy.require(actor, Action.BUSINESS_ROLES_MANAGE)
            role = BusinessRole(id=new_id("business_role"), name=name, created_at=now)
            session.add(role)
            session.flush()
            audit.record(session, actor_id=actor.user_id, action="business_role.create",
                         entity=role, now=now)
        wanted[name.lower()] = role
    current = {link.role_id: link for link in session.exec(
        select(UserBusinessRole).where(UserBusinessRole.user_id == user.id))}
    keep = {role.id for role in wanted.values()}
    for role_id, link in current.items():
        if role_id not in keep:
            session.delete(link)
    for role_id in keep - current.keys():
        session.add(UserBusinessRole(user_id=user.id, role_id=role_id))
    session.flush()
    return business_role_names(session, user.id)


def _other_active_admins(session: Session, user: User) -> int:
    return len(session.exec(
        select(User.id).where(User.role == Role.ADMIN, User.status == UserStatus.ACTIVE,
                              User.id != user.id)
    ).all())


def check_user_create(actor: policy.Actor) -> None:
    """Refuse, as create_user does, an actor who may not add users: the pre-check of a form."""
    policy.require(actor, Action.USER_CREATE)


def check_user_edit(actor: policy.Actor, user_id: str) -> None:
    """Refuse an actor who may change nothing of the user, the least edit_user asks: their own
    profile, or anyone's details for administrators. The pre-check of a form."""
    own = user_id == actor.user_id
    policy.require(actor, Action.PROFILE_EDIT if own else Action.USER_EDIT,
                   Target(owner_id=user_id))


def check_teammates_change(actor: policy.Actor) -> None:
    """Refuse, as set_teammates does, an actor who may not change managers' teams."""
    policy.require(actor, Action.TEAMMATES_MANAGE)


def _protect_last_admin(session: Session, user: User, doing: str) -> None:
    if (user.role is Role.ADMIN and user.status is UserStatus.ACTIVE
            and _other_active_admins(session, user) == 0):
        raise conflict(f"{user.name} is the last active administrator and cannot be {doing}",
                       field="role", hint="make another user an administrator first")


def create_user(
    session: Session,
    *,
    actor: policy.Actor,
    name: str,
    email: str | None = None,
    agent: bool = False,
    role: str | Role = Role.MEMBER,
    rate: str | Decimal | None = None,
    cost_rate: str | Decimal | None = None,
    capacity: str | Decimal | int | None = None,
    employment: str | EmploymentType = EmploymentType.EMPLOYEE,
    timezone: str | None = None,
    status: str | UserStatus = UserStatus.ACTIVE,
    phone: str | None = None,
    employee_id: str | None = None,
    business_roles: Iterable[str] = (),
    now: datetime,
) -> User:
    """Add a human or agent user (administrators only); agents may go without an email."""
    check_user_create(actor)
    given = {"name": name, "agent": agent, "role": role, "employment": employment, "rate": rate,
             "cost_rate": cost_rate, "capacity": capacity, "timezone": timezone, "phone": phone,
             "employee_id": employee_id}
    values = {_EDITS[k][0]: _EDITS[k][1](v) for k, v in given.items()}
    if email is not None and email.strip():
        email = validate_email(email)
    elif agent:
        email = _placeholder_email(session, values["name"])
    else:
        raise validation("email is required for a human user", field="email",
                         hint="agents may omit it and get a placeholder address")
    user_status = _choice(UserStatus, status, "status")
    if user_status is UserStatus.ARCHIVED:
        raise validation("a new user is active or pending, not archived", field="status")
    user = User(id=new_id("user"), email=email, status=user_status, created_at=now,
                updated_at=now, **values)
    _check_email_free(session, email)
    session.add(user)
    session.flush()
    roles = _set_business_roles(session, actor, user, business_roles, now=now)
    audit.record(session, actor_id=actor.user_id, action="user.create", entity=user,
                 changes={"role": user.role, "user_type": user.user_type,
                          "business_roles": roles}, now=now)
    return user


def list_users(
    session: Session,
    *,
    actor: policy.Actor,
    user_type: str | UserType | None = None,
    status: str | None = None,
    role: str | Role | None = None,
) -> list[User]:
    """Users the actor may see; status None means everyone not archived, `all` everyone."""
    policy.require(actor, Action.USER_VIEW)
    query = select(User)
    visible = policy.visible_user_ids(actor)
    if visible is not None:
        query = query.where(col(User.id).in_(sorted(visible)))
    if user_type is not None:
        query = query.where(User.user_type == _choice(UserType, user_type, "user_type"))
    if role is not None:
        query = query.where(User.role == parse_role(role))
    wanted = (status or "").strip().lower()
    if not wanted:
        query = query.where(User.status != UserStatus.ARCHIVED)
    elif wanted != "all":
        try:
            query = query.where(User.status == UserStatus(wanted))
        except ValueError:
            raise validation(f"unknown status: {status!r}", field="status",
                             hint="use active, pending, archived or all") from None
    return list(session.exec(query.order_by(sa.func.lower(User.name), User.id)).all())


def get_user(session: Session, *, actor: policy.Actor, ref: str) -> User:
    user = resolve_user(session, actor, ref)
    policy.require(actor, Action.USER_VIEW, Target(owner_id=user.id, owner_name=user.name))
    return user


def edit_user(
    session: Session,
    *,
    actor: policy.Actor,
    ref: str,
    grant: Iterable[str] = (),
    revoke: Iterable[str] = (),
    business_roles: Iterable[str] | None = None,
    now: datetime,
    **changes: Any,
) -> User:
    """Change a user. Keys of `changes`: see EDITABLE; None clears optional fields.

    Members edit their own name, timezone, phone and notification preference; everything else
    is for administrators. `grant`/`revoke` are manager permissions; `business_roles` replaces
    the user's business roles.
    """
    unknown = set(changes) - EDITABLE
    if unknown:
        raise validation(f"cannot edit {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    user = resolve_user(session, actor, ref)
    target = Target(owner_id=user.id, owner_name=user.name)
    grant, revoke = list(grant), list(revoke)
    if changes.keys() & PROFILE_FIELDS:
        policy.require(actor, Action.PROFILE_EDIT, target)
    if changes.keys() - PROFILE_FIELDS - _ROLE_FIELDS - _RATE_FIELDS or business_roles is not None:
        policy.require(actor, Action.USER_EDIT, target)
    if changes.keys() & _ROLE_FIELDS or grant or revoke:
        policy.require(actor, Action.USER_CHANGE_ROLE, target)
    if changes.keys() & _RATE_FIELDS:
        policy.require(actor, Action.USER_RATES_EDIT, target)
    if not changes and not grant and not revoke and business_roles is None:
        raise validation("nothing to change", hint="pass at least one field to edit")

    values = {_EDITS[k][0]: _EDITS[k][1](v) for k, v in changes.items()}
    if "email" in values:
        _check_email_free(session, values["email"], exclude_id=user.id)
    granted = parse_permissions(grant, field="grant")
    revoked = parse_permissions(revoke, field="revoke")
    both = set(granted) & set(revoked)
    if both:
        raise validation(f"cannot grant and revoke {', '.join(sorted(both))} at once",
                         field="grant")
    if granted and values.get("role", user.role) is not Role.MANAGER:
        raise validation("manager permissions apply to managers only", field="grant",
                         hint="make the user a manager (--role manager); admins hold them all")
    if granted or revoked:
        current = [p for p in user.manager_permissions if p not in revoked]
        values["manager_permissions"] = current + [p.value for p in granted if p not in current]
    if values.get("role", Role.ADMIN) is not Role.ADMIN:
        _protect_last_admin(session, user, "demoted")

    diff = audit.apply_changes(user, values)
    if business_roles is not None:
        before = business_role_names(session, user.id)
        after = _set_business_roles(session, actor, user, business_roles, now=now)
        if before != after:
            diff["business_roles"] = [before, after]
    if diff:
        user.updated_at = now
        session.add(user)
        session.flush()
        audit.record(session, actor_id=actor.user_id, action="user.edit", entity=user,
                     changes=diff, now=now)
    return user


def archive_user(session: Session, *, actor: policy.Actor, ref: str, now: datetime) -> User:
    """Archive a user: they can no longer act, and their API keys stop working."""
    user = resolve_user(session, actor, ref)
    policy.require(actor, Action.USER_ARCHIVE, Target(owner_id=user.id, owner_name=user.name))
    if user.status is UserStatus.ARCHIVED:
        raise conflict(f"{user.name} is already archived", field="user")
    if get_workspace(session).default_user_id == user.id:
        raise conflict(f"{user.name} is the workspace's default user", field="user",
                       hint="change it first: `keito settings set default_user USER`")
    _protect_last_admin(session, user, "archived")
    audit.save_changes(session, user, {"status": UserStatus.ARCHIVED, "archived_at": now},
                       actor_id=actor.user_id, action="user.archive", always=True, now=now)
    return user


def reactivate_user(session: Session, *, actor: policy.Actor, ref: str, now: datetime) -> User:
    """Make an archived (or pending) user active again."""
    user = resolve_user(session, actor, ref)
    policy.require(actor, Action.USER_ARCHIVE, Target(owner_id=user.id, owner_name=user.name))
    if user.status is UserStatus.ACTIVE:
        raise conflict(f"{user.name} is already active", field="user")
    audit.save_changes(session, user, {"status": UserStatus.ACTIVE, "archived_at": None},
                       actor_id=actor.user_id, action="user.reactivate", always=True, now=now)
    return user


def _teammates_of(session: Session, manager_id: str) -> list[User]:
    return list(session.exec(
        select(User)
        .join(ManagerTeammate, col(ManagerTeammate.teammate_id) == User.id)
        .where(ManagerTeammate.manager_id == manager_id)
        .order_by(sa.func.lower(User.name), User.id)
    ).all())


def list_teammates(session: Session, *, actor: policy.Actor, manager_ref: str) -> list[User]:
    """The teammates assigned to a manager (the manager themself or an administrator)."""
    manager = resolve_user(session, actor, manager_ref, field="manager")
    policy.require(actor, Action.USER_VIEW, Target(owner_id=manager.id, owner_name=manager.name))
    return _teammates_of(session, manager.id)


def set_teammates(
    session: Session,
    *,
    actor: policy.Actor,
    manager_ref: str,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    now: datetime,
) -> list[User]:
    """Assign and unassign a manager's teammates (idempotent); returns the current list."""
    check_teammates_change(actor)
    manager = resolve_user(session, actor, manager_ref, field="manager")
    if manager.role not in (Role.MANAGER, Role.ADMIN):
        raise validation(f"{manager.name} is a {manager.role}, not a manager", field="manager",
                         hint=f"make them a manager: `keito user edit {manager.id} --role manager`")
    to_add = [resolve_user(session, actor, ref, field="add") for ref in add]
    to_remove = [resolve_user(session, actor, ref, field="remove") for ref in remove]
    for user in to_add:
        if user.id == manager.id:
            raise validation(f"{manager.name} cannot be their own teammate", field="add")
        if user.status is UserStatus.ARCHIVED:
            raise validation(f"{user.name} is archived", field="add",
                             hint="reactivate them first")
    current = {t.id for t in _teammates_of(session, manager.id)}
    added = list(dict.fromkeys(u.id for u in to_add if u.id not in current))
    removed = list(dict.fromkeys(u.id for u in to_remove if u.id in current))
    for user_id in added:
        session.add(ManagerTeammate(manager_id=manager.id, teammate_id=user_id, created_at=now))
    for user_id in removed:
        link = session.get(ManagerTeammate, (manager.id, user_id))
        if link is not None:
            session.delete(link)
    session.flush()
    if added or removed:
        audit.record(session, actor_id=actor.user_id, action="user.teammates", entity=manager,
                     changes={"added": added, "removed": removed}, now=now)
    return _teammates_of(session, manager.id)
