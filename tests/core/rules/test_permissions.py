"""The permission policy: the whole role x action matrix against a table written out here."""

from __future__ import annotations

import dataclasses

import pytest

from keito_core.enums import ManagerPermission, Role, UserStatus, UserType
from keito_core.errors import KeitoError
from keito_core.rules.permissions import (
    RULES,
    Action,
    Actor,
    Scope,
    Target,
    can,
    may_log_to_project,
    require,
    require_project_assignment,
    scopes_for,
    visible_project_ids,
    visible_user_ids,
)

P = ManagerPermission
ME, MATE, STRANGER = "usr_me", "usr_mate", "usr_stranger"
MANAGED, ASSIGNED, OTHER = "prj_managed", "prj_assigned", "prj_other"

#: The targets every cell is checked against, by letter.
TARGETS: dict[str, Target | None] = {
    "N": None,  # no particular record: "may I do this at all?"
    "O": Target(owner_id=ME),  # the actor's own record
    "T": Target(owner_id=MATE),  # a record of one of the actor's teammates
    "S": Target(owner_id=STRANGER, project_id=OTHER),  # a stranger's, on an unrelated project
    "M": Target(owner_id=STRANGER, project_id=MANAGED),  # a stranger's, on a project I manage
    "A": Target(owner_id=STRANGER, project_id=ASSIGNED),  # a stranger's, on a project I am on
}
ALL = "*"


def make_actor(
    role: Role,
    *permissions: ManagerPermission,
    user_type: UserType = UserType.HUMAN,
    status: UserStatus = UserStatus.ACTIVE,
) -> Actor:
    """Every actor has the same relationships, so only role, permissions and status differ."""
    return Actor(
        user_id=ME,
        role=role,
        user_type=user_type,
        status=status,
        permissions=frozenset(permissions),
        teammate_ids=frozenset({MATE}),
        managed_project_ids=frozenset({MANAGED}),
        assigned_project_ids=frozenset({ASSIGNED, MANAGED}),
    )


# Each row: (member, manager without permissions, administrator, {permission: manager with it}).
# Letters are the targets allowed; "*" is all of them; "" is none.
Row = tuple[str, str, str, dict[ManagerPermission, str]]
ADMIN_ONLY: Row = ("", "", ALL, {})
EVERYONE: Row = (ALL, ALL, ALL, {})
OWN_OR_ADMIN: Row = ("NO", "NO", ALL, {})
ONLY_OWN: Row = ("NO", "NO", "NO", {})
DIRECTORY: Row = ("", "", ALL, {P.MANAGE_CLIENTS_TASKS: ALL})
DIRECTORY_READ: Row = ("", "", ALL, {P.MANAGE_CLIENTS_TASKS: ALL, P.CREATE_PROJECTS: ALL})
PROJECT_MANAGER: Row = ("", "NM", ALL, {})
ENTRY_WRITE: Row = ("NO", "NO", ALL, {P.EDIT_TEAM_ENTRIES: "NOT"})
ENTRY_READ: Row = ("NO", "NOTM", ALL, {})
APPROVE: Row = ("", "NTM", ALL, {})
DRAFTING: Row = ("", "", ALL, {P.DRAFT_INVOICES: "NM"})
SENDING: Row = ("", "", ALL, {P.SEND_INVOICES: "NM"})
#: Reports and exports: a manager sees their teammates and the projects they manage (issue 11).
TEAM_REPORTS: Row = ("NO", "NOTM", ALL, {})

EXPECTED: dict[Action, Row] = {
    Action.WORKSPACE_VIEW: EVERYONE,
    Action.WORKSPACE_EDIT: ADMIN_ONLY,
    Action.USER_VIEW: ("NO", "NOT", ALL, {}),
    Action.USER_CREATE: ADMIN_ONLY,
    Action.USER_EDIT: ADMIN_ONLY,
    Action.USER_ARCHIVE: ADMIN_ONLY,
    Action.PROFILE_EDIT: OWN_OR_ADMIN,
    Action.USER_CHANGE_ROLE: ADMIN_ONLY,
    Action.USER_RATES_EDIT: ADMIN_ONLY,
    Action.RATES_VIEW: ("", "", ALL, {P.VIEW_RATES: ALL}),
    Action.COST_RATES_VIEW: ADMIN_ONLY,
    Action.TEAMMATES_MANAGE: ADMIN_ONLY,
    Action.BUSINESS_ROLES_MANAGE: ADMIN_ONLY,
    Action.API_KEY_CREATE: OWN_OR_ADMIN,
    Action.API_KEY_LIST: OWN_OR_ADMIN,
    Action.API_KEY_REVOKE: OWN_OR_ADMIN,
    Action.CLIENT_VIEW: DIRECTORY_READ,
    Action.CLIENT_CREATE: DIRECTORY,
    Action.CLIENT_EDIT: DIRECTORY,
    Action.CLIENT_ARCHIVE: DIRECTORY,
    Action.CLIENT_DELETE: DIRECTORY,
    Action.CONTACT_VIEW: DIRECTORY_READ,
    Action.CONTACT_CREATE: DIRECTORY,
    Action.CONTACT_EDIT: DIRECTORY,
    Action.CONTACT_DELETE: DIRECTORY,
    Action.TASK_VIEW: EVERYONE,
    Action.TASK_CREATE: DIRECTORY,
    Action.TASK_EDIT: DIRECTORY,
    Action.TASK_ARCHIVE: DIRECTORY,
    Action.TASK_DELETE: DIRECTORY,
    Action.PROJECT_VIEW: ("NMA", "NMA", ALL, {}),
    Action.PROJECT_CREATE: ("", "", ALL, {P.CREATE_PROJECTS: ALL}),
    Action.PROJECT_EDIT: PROJECT_MANAGER,
    Action.PROJECT_ARCHIVE: PROJECT_MANAGER,
    Action.PROJECT_DELETE: ADMIN_ONLY,
    Action.PROJECT_ASSIGN_MEMBERS: PROJECT_MANAGER,
    Action.PROJECT_MANAGE_TASKS: PROJECT_MANAGER,
    Action.PROJECT_RATES_EDIT: ("", "", ALL, {P.VIEW_RATES: "NM"}),
    Action.PROJECT_BUDGET_VIEW: PROJECT_MANAGER,
    Action.EXPENSE_CATEGORY_VIEW: EVERYONE,
    Action.EXPENSE_CATEGORY_MANAGE: ADMIN_ONLY,
    Action.TIME_ENTRY_VIEW: ENTRY_READ,
    Action.TIME_ENTRY_CREATE: ENTRY_WRITE,
    Action.TIME_ENTRY_EDIT: ENTRY_WRITE,
    Action.TIME_ENTRY_DELETE: ENTRY_WRITE,
    Action.TIME_ENTRY_UNLOCK: ADMIN_ONLY,
    Action.EXPENSE_VIEW: ENTRY_READ,
    Action.EXPENSE_CREATE: ENTRY_WRITE,
    Action.EXPENSE_EDIT: ENTRY_WRITE,
    Action.EXPENSE_DELETE: ENTRY_WRITE,
    Action.EXPENSE_UNLOCK: ADMIN_ONLY,
    Action.TIMESHEET_SUBMIT: ONLY_OWN,
    Action.TIMESHEET_APPROVE: APPROVE,
    Action.TIMESHEET_REJECT: APPROVE,
    Action.APPROVAL_WITHDRAW: ("", "", ALL, {P.WITHDRAW_APPROVALS: "NTM"}),
    Action.INVOICE_VIEW: ("", "", ALL, {P.DRAFT_INVOICES: "NM", P.SEND_INVOICES: "NM"}),
    Action.INVOICE_DRAFT: DRAFTING,
    Action.INVOICE_EDIT: SENDING,
    Action.INVOICE_SEND: SENDING,
    Action.INVOICE_RECORD_PAYMENT: SENDING,
    Action.INVOICE_CLOSE: SENDING,
    Action.INVOICE_SYNC: SENDING,
    Action.INVOICE_DELETE: ADMIN_ONLY,
    Action.REPORT_VIEW: TEAM_REPORTS,
    Action.EXPORT_DATA: TEAM_REPORTS,
    Action.INTEGRATIONS_MANAGE: ADMIN_ONLY,
    Action.NOTIFICATION_READ: ONLY_OWN,
    Action.AUDIT_VIEW: ADMIN_ONLY,
}


def _letters(spec: str) -> set[str]:
    return set(TARGETS) if spec == ALL else set(spec)


def _expected(action: Action, column: str) -> set[str]:
    member, manager, admin, overrides = EXPECTED[action]
    if column in ("member", "agent member", "member+all"):
        return _letters(member)
    if column in ("admin", "agent admin"):
        return _letters(admin)
    if column == "manager":
        return _letters(manager)
    if column == "manager+all":
        return _letters(manager).union(*(_letters(s) for s in overrides.values()))
    if column.startswith("manager+"):
        permission = P(column.removeprefix("manager+"))
        return _letters(overrides.get(permission, manager))
    assert column.startswith(("archived", "pending")), column
    return set()


ACTORS: dict[str, Actor] = {
    "member": make_actor(Role.MEMBER),
    "agent member": make_actor(Role.MEMBER, user_type=UserType.AGENT),
    "manager": make_actor(Role.MANAGER),
    **{f"manager+{p}": make_actor(Role.MANAGER, p) for p in P},
    "manager+all": make_actor(Role.MANAGER, *P),
    "admin": make_actor(Role.ADMIN),
    "agent admin": make_actor(Role.ADMIN, user_type=UserType.AGENT),
    "archived admin": make_actor(Role.ADMIN, status=UserStatus.ARCHIVED),
    "archived member": make_actor(Role.MEMBER, status=UserStatus.ARCHIVED),
    "pending manager+all": make_actor(Role.MANAGER, *P, status=UserStatus.PENDING),
    # Permissions recorded on a member are ignored: they belong to the manager role.
    "member+all": make_actor(Role.MEMBER, *P),
}


def test_expected_table_covers_every_action() -> None:
    assert set(EXPECTED) == set(Action)
    assert set(RULES) == set(Action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("column", list(ACTORS))
def test_matrix(column: str, action: Action) -> None:
    actor = ACTORS[column]
    expected = _expected(action, column)
    allowed = {letter for letter, target in TARGETS.items() if can(actor, action, target)}
    assert allowed == expected, f"{column} {action}: allowed {sorted(allowed)}"


@pytest.mark.parametrize("action", list(Action))
def test_require_agrees_with_can(action: Action) -> None:
    for actor in ACTORS.values():
        for target in TARGETS.values():
            if can(actor, action, target):
                require(actor, action, target)
            else:
                with pytest.raises(KeitoError) as caught:
                    require(actor, action, target)
                error = caught.value
                assert error.code == "authorization_error"
                assert "\n" not in error.message and error.hint and "\n" not in error.hint
                assert RULES[action].label in error.message


# Self-approval: administrators may approve their own time; nobody else may.

SELF_TARGETS = [
    Target(owner_id=ME),
    Target(owner_id=ME, project_id=MANAGED),
    Target(project_id=MANAGED),  # no owner given means the actor's own
]
APPROVALS = [Action.TIMESHEET_APPROVE, Action.TIMESHEET_REJECT, Action.APPROVAL_WITHDRAW]


@pytest.mark.parametrize("target", SELF_TARGETS)
@pytest.mark.parametrize("action", APPROVALS)
def test_manager_may_not_approve_own_time(action: Action, target: Target) -> None:
    manager = dataclasses.replace(make_actor(Role.MANAGER, *P), teammate_ids=frozenset({ME, MATE}))
    assert not can(manager, action, target)
    with pytest.raises(KeitoError) as caught:
        require(manager, action, target)
    assert caught.value.message == f"manager may not {RULES[action].label} for themselves"
    assert can(manager, action, Target(owner_id=MATE))


@pytest.mark.parametrize("target", SELF_TARGETS)
@pytest.mark.parametrize("action", APPROVALS)
def test_administrator_may_approve_own_time(action: Action, target: Target) -> None:
    assert can(make_actor(Role.ADMIN), action, target)
    assert can(make_actor(Role.ADMIN, user_type=UserType.AGENT), action, target)


@pytest.mark.parametrize("action", APPROVALS)
def test_member_may_approve_nothing(action: Action) -> None:
    member = make_actor(Role.MEMBER, *P)
    assert not any(can(member, action, target) for target in [*SELF_TARGETS, *TARGETS.values()])


# Project assignment: who may log time and expenses to a project.


@pytest.mark.parametrize(
    ("actor", "project_id", "allowed"),
    [
        (make_actor(Role.MEMBER), ASSIGNED, True),
        (make_actor(Role.MEMBER), MANAGED, True),
        (make_actor(Role.MEMBER), OTHER, False),
        (make_actor(Role.MANAGER, *P), OTHER, False),
        (make_actor(Role.MEMBER, user_type=UserType.AGENT), ASSIGNED, True),
        (make_actor(Role.MEMBER, user_type=UserType.AGENT), OTHER, False),
        (make_actor(Role.ADMIN), OTHER, True),
        (make_actor(Role.ADMIN, user_type=UserType.AGENT), OTHER, False),
        (make_actor(Role.ADMIN, user_type=UserType.AGENT), ASSIGNED, True),
        (make_actor(Role.ADMIN, status=UserStatus.ARCHIVED), ASSIGNED, False),
        (make_actor(Role.MEMBER, status=UserStatus.PENDING), ASSIGNED, False),
    ],
)
def test_may_log_to_project(actor: Actor, project_id: str, allowed: bool) -> None:
    assert may_log_to_project(actor, project_id) is allowed


def test_require_project_assignment() -> None:
    require_project_assignment(make_actor(Role.MEMBER), ASSIGNED)
    require_project_assignment(make_actor(Role.ADMIN), OTHER)
    with pytest.raises(KeitoError) as caught:
        require_project_assignment(make_actor(Role.MEMBER), OTHER)
    assert caught.value.code == "project_not_assigned"
    assert caught.value.message == f"user {ME} is not assigned to project {OTHER}"
    assert caught.value.field == "project"


def test_require_project_assignment_refuses_inactive_users() -> None:
    with pytest.raises(KeitoError) as caught:
        require_project_assignment(make_actor(Role.ADMIN, status=UserStatus.ARCHIVED), OTHER)
    assert caught.value.code == "authorization_error"
    assert caught.value.message == "archived administrator may not log time or expenses"


# Archived and pending users may do nothing at all.


@pytest.mark.parametrize("status", [UserStatus.ARCHIVED, UserStatus.PENDING])
@pytest.mark.parametrize("role", list(Role))
def test_inactive_users_may_do_nothing(role: Role, status: UserStatus) -> None:
    actor = make_actor(role, *P, status=status)
    for action in Action:
        assert not any(can(actor, action, target) for target in TARGETS.values()), action
        assert scopes_for(actor, action) == frozenset()
    assert visible_user_ids(actor) == frozenset()
    assert visible_project_ids(actor) == frozenset()


def test_inactive_messages_and_hints() -> None:
    with pytest.raises(KeitoError) as archived:
        require(make_actor(Role.ADMIN, status=UserStatus.ARCHIVED), Action.TIME_ENTRY_VIEW)
    assert archived.value.message == "archived administrator may not view time entries"
    assert archived.value.hint == "An administrator can restore archived users."
    with pytest.raises(KeitoError) as pending:
        require(make_actor(Role.MEMBER, status=UserStatus.PENDING), Action.TASK_VIEW)
    assert pending.value.message == "pending member may not view tasks"
    assert pending.value.hint == "Accept the invitation to activate this account."


# Messages and hints.


def test_message_names_the_record_refused() -> None:
    with pytest.raises(KeitoError) as caught:
        require(make_actor(Role.MEMBER), Action.TIME_ENTRY_EDIT, TARGETS["S"])
    assert caught.value.message == (
        f"member may not edit time entries (user {STRANGER}, project {OTHER})"
    )
    assert caught.value.hint == "You may only do this for your own records."


def test_hint_names_the_missing_manager_permission() -> None:
    with pytest.raises(KeitoError) as caught:
        require(make_actor(Role.MANAGER), Action.INVOICE_VIEW, TARGETS["M"])
    assert caught.value.message == "manager may not view invoices"
    assert caught.value.hint == (
        "An administrator can grant you the 'draft_invoices' or 'send_invoices' manager permission."
    )


def test_hint_for_administrator_only_actions() -> None:
    with pytest.raises(KeitoError) as caught:
        require(make_actor(Role.MEMBER, user_type=UserType.AGENT), Action.AUDIT_VIEW)
    assert caught.value.message == "agent member may not view the audit log"
    assert caught.value.hint == "Only administrators may do this."


# Filters for lists.


def test_visible_user_ids() -> None:
    assert visible_user_ids(make_actor(Role.ADMIN)) is None
    assert visible_user_ids(make_actor(Role.MANAGER)) == {ME, MATE}
    assert visible_user_ids(make_actor(Role.MEMBER)) == {ME}
    assert visible_user_ids(make_actor(Role.MEMBER, user_type=UserType.AGENT)) == {ME}


def test_visible_project_ids() -> None:
    assert visible_project_ids(make_actor(Role.ADMIN)) is None
    assert visible_project_ids(make_actor(Role.MANAGER)) == {ASSIGNED, MANAGED}
    lone = dataclasses.replace(make_actor(Role.MEMBER), assigned_project_ids=frozenset())
    assert visible_project_ids(lone) == {MANAGED}


def test_scopes_for() -> None:
    assert scopes_for(make_actor(Role.MEMBER), Action.TIME_ENTRY_VIEW) == {Scope.OWN}
    assert scopes_for(make_actor(Role.MANAGER), Action.TIME_ENTRY_VIEW) == {
        Scope.OWN,
        Scope.TEAM,
        Scope.MANAGED,
    }
    assert Scope.ANY in scopes_for(make_actor(Role.ADMIN), Action.TIME_ENTRY_VIEW)
    assert scopes_for(make_actor(Role.MANAGER), Action.RATES_VIEW) == frozenset()


def test_actor_and_target_are_frozen_values() -> None:
    actor = make_actor(Role.MEMBER)
    with pytest.raises(dataclasses.FrozenInstanceError):
        actor.role = Role.ADMIN  # type: ignore[misc]
    assert {actor, make_actor(Role.MEMBER)} == {actor}
    assert Target() == Target(owner_id=None, project_id=None)


def test_labels_are_one_line_phrases() -> None:
    for action, rule in RULES.items():
        assert rule.label and rule.label == rule.label.strip(), action
        assert "\n" not in rule.label and rule.label[0].islower(), action
