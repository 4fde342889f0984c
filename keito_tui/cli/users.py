"""`keito user`: add, list, show, edit, archive and reactivate users; assign teammates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from keito_tui.cli.state import cli_state

if TYPE_CHECKING:
    from sqlmodel import Session

    from keito_core.models import User
    from keito_core.rules.permissions import Actor

app = typer.Typer(help="Add, list, edit and archive team members and agents.",
                  no_args_is_help=True)

USER_HELP = "User ID, email or name (`me` for yourself)."
_COLUMNS = ["id", "name", "email", "user_type", "role", "status"]
#: Left out on a narrow terminal (status first) so that emails, typed for --user, stay whole.
_OPTIONAL = ["role", "user_type", "billable_rate", "status"]


def user_data(session: Session, actor: Actor, user: User) -> dict[str, Any]:
    """A user as `actor` sees them (the presenter decides the rates), with their profile."""
    from keito_core import presenters as public
    from keito_core.services.directory.users import business_role_names

    data = public.user(user, viewer=actor)
    data["business_roles"] = business_role_names(session, user.id)
    data["phone"] = user.phone
    data["employee_id"] = user.employee_id
    data["notify_email"] = user.notify_email
    return data


def _clearable(value: str | None) -> str | None:
    """`none` (or an empty string) clears an optional value."""
    return None if value is None or value.strip().lower() in ("", "none") else value


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Full name, or the agent's name (e.g. review-bot).")],
    email: Annotated[str | None, typer.Option(help="Email address (agents may omit it).")] = None,
    agent: Annotated[bool, typer.Option("--agent", help="An AI agent, not a person.")] = False,
    role: Annotated[str, typer.Option(help="member, manager or admin.")] = "member",
    rate: Annotated[str | None, typer.Option(help="Default billable rate per hour.")] = None,
    cost_rate: Annotated[str | None, typer.Option(help="Internal cost rate per hour.")] = None,
    capacity: Annotated[
        str | None, typer.Option(help="Weekly capacity in hours (default: the workspace's).")
    ] = None,
    contractor: Annotated[
        bool, typer.Option("--contractor", help="A contractor rather than an employee.")
    ] = False,
    timezone: Annotated[str | None, typer.Option(help="IANA timezone, e.g. Europe/Paris.")] = None,
    phone: Annotated[str | None, typer.Option(help="Phone number.")] = None,
    employee_id: Annotated[str | None, typer.Option(help="Internal employee ID.")] = None,
    business_role: Annotated[
        list[str] | None,
        typer.Option("--business-role", help="A business role such as Designer (repeatable)."),
    ] = None,
    pending: Annotated[
        bool, typer.Option("--pending", help="Invited but not yet active.")
    ] = False,
) -> None:
    """Add a team member or agent (administrators)."""
    from keito_core.services.directory.users import create_user

    state = cli_state()
    with state.acting() as (session, actor):
        user = create_user(
            session, actor=actor, name=name, email=email, agent=agent, role=role, rate=rate,
            cost_rate=cost_rate, capacity=capacity,
            employment="contractor" if contractor else "employee", timezone=timezone,
            status="pending" if pending else "active", phone=phone, employee_id=employee_id,
            business_roles=business_role or (),
            now=state.runtime.clock(),
        )
        data = user_data(session, actor, user)
    state.output.record(data, message=f"Added {user.user_type} {user.name} <{user.email}>")


@app.command("list")
def list_(
    agents: Annotated[bool, typer.Option("--agents", help="Only agents.")] = False,
    humans: Annotated[bool, typer.Option("--humans", help="Only people.")] = False,
    archived: Annotated[bool, typer.Option("--archived", help="Only archived users.")] = False,
    all_: Annotated[
        bool, typer.Option("--all", help="Everyone, archived users included.")
    ] = False,
    role: Annotated[
        str | None, typer.Option(help="Only this role: member, manager, admin.")
    ] = None,
) -> None:
    """List the users you may see (active and pending by default)."""
    from keito_core.errors import validation
    from keito_core.services.directory.users import list_users

    if agents and humans:
        raise validation("use --agents or --humans, not both", field="user_type")
    if archived and all_:
        raise validation("use --archived or --all, not both", field="status")
    user_type = "agent" if agents else "human" if humans else None
    status = "archived" if archived else "all" if all_ else None
    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        users = list_users(session, actor=actor, user_type=user_type, status=status, role=role)
        rows = [user_data(session, actor, u) for u in users]
    columns = _COLUMNS + (["billable_rate"] if rows and "billable_rate" in rows[0] else [])
    state.output.listing(rows, columns=columns, title="Users", optional=_OPTIONAL)


@app.command("show")
def show(user: Annotated[str, typer.Argument(help=USER_HELP)]) -> None:
    """Show one user."""
    from keito_core.services.directory.users import get_user

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        data = user_data(session, actor, get_user(session, actor=actor, ref=user))
    state.output.record(data)


@app.command("edit")
def edit(
    user: Annotated[str, typer.Argument(help=USER_HELP)],
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    email: Annotated[str | None, typer.Option(help="New email address.")] = None,
    role: Annotated[str | None, typer.Option(help="member, manager or admin.")] = None,
    rate: Annotated[
        str | None, typer.Option(help="Billable rate per hour (`none` clears).")
    ] = None,
    cost_rate: Annotated[
        str | None, typer.Option(help="Cost rate per hour (`none` clears).")
    ] = None,
    capacity: Annotated[
        str | None, typer.Option(help="Weekly capacity in hours (`none`: workspace default).")
    ] = None,
    timezone: Annotated[
        str | None, typer.Option(help="IANA timezone (`none`: workspace timezone).")
    ] = None,
    employee: Annotated[
        bool | None, typer.Option("--employee/--contractor", help="Employee or contractor.")
    ] = None,
    phone: Annotated[str | None, typer.Option(help="Phone number (`none` clears).")] = None,
    employee_id: Annotated[
        str | None, typer.Option(help="Internal employee ID (`none` clears).")
    ] = None,
    notify: Annotated[
        bool | None, typer.Option("--notify/--no-notify", help="Email notifications.")
    ] = None,
    grant: Annotated[
        list[str] | None,
        typer.Option("--grant", help="Grant a manager permission, e.g. view_rates (repeatable)."),
    ] = None,
    revoke: Annotated[
        list[str] | None,
        typer.Option("--revoke", help="Revoke a manager permission (repeatable)."),
    ] = None,
    business_role: Annotated[
        list[str] | None,
        typer.Option("--business-role",
                     help="Replace the business roles (repeatable; `none` clears them)."),
    ] = None,
) -> None:
    """Edit a user (your own name, timezone, phone and notifications; the rest: admins)."""
    from keito_core.services.directory.users import edit_user

    changes: dict[str, Any] = {}
    for key, value in (("name", name), ("email", email), ("role", role)):
        if value is not None:
            changes[key] = value
    for key, value in (("rate", rate), ("cost_rate", cost_rate), ("capacity", capacity),
                       ("timezone", timezone), ("phone", phone), ("employee_id", employee_id)):
        if value is not None:
            changes[key] = _clearable(value)
    if employee is not None:
        changes["employment"] = "employee" if employee else "contractor"
    if notify is not None:
        changes["notify_email"] = notify
    roles = None
    if business_role is not None:
        roles = [r for r in business_role if _clearable(r) is not None]
    state = cli_state()
    with state.acting() as (session, actor):
        updated = edit_user(session, actor=actor, ref=user, grant=grant or (),
                            revoke=revoke or (), business_roles=roles, **changes,
                            now=state.runtime.clock())
        data = user_data(session, actor, updated)
    state.output.record(data, message=f"Updated {updated.name}")


@app.command("archive")
def archive(user: Annotated[str, typer.Argument(help=USER_HELP)]) -> None:
    """Archive a user: they can no longer act and their API keys stop working (admins)."""
    from keito_core.services.directory.users import archive_user

    state = cli_state()
    with state.acting() as (session, actor):
        archived = archive_user(session, actor=actor, ref=user, now=state.runtime.clock())
        data = user_data(session, actor, archived)
    state.output.message(f"Archived {archived.name}", data=data)


@app.command("reactivate")
def reactivate(user: Annotated[str, typer.Argument(help=USER_HELP)]) -> None:
    """Make an archived or pending user active again (admins)."""
    from keito_core.services.directory.users import reactivate_user

    state = cli_state()
    with state.acting() as (session, actor):
        active = reactivate_user(session, actor=actor, ref=user, now=state.runtime.clock())
        data = user_data(session, actor, active)
    state.output.message(f"Reactivated {active.name}", data=data)


@app.command("teammates")
def teammates(
    manager: Annotated[str, typer.Argument(help="The manager: ID, email or name.")],
    add: Annotated[
        list[str] | None, typer.Option("--add", help="Assign this user (repeatable).")
    ] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="Unassign this user (repeatable).")
    ] = None,
) -> None:
    """List a manager's teammates, or assign and unassign them (admins)."""
    from keito_core.platform.access import resolve_user
    from keito_core.services.directory.users import list_teammates, set_teammates

    state = cli_state()
    with state.acting(readonly=not (add or remove)) as (session, actor):
        if add or remove:
            users = set_teammates(session, actor=actor, manager_ref=manager, add=add or (),
                                  remove=remove or (), now=state.runtime.clock())
        else:
            users = list_teammates(session, actor=actor, manager_ref=manager)
        boss = resolve_user(session, actor, manager, field="manager")
        rows = [user_data(session, actor, u) for u in users]
        extra = {"manager": {"id": boss.id, "name": boss.name}}
    title = f"Teammates of {extra['manager']['name']}"
    state.output.listing(rows, columns=_COLUMNS, title=title, extra=extra, optional=_OPTIONAL)
