"""The one permission policy: who may do what to whose records, as a table (pure, no I/O).

Every action maps to a `Rule`: a human label and the `Grant`s that allow it. A grant names the
roles it applies to, the manager permission it needs (administrators hold every permission) and
the scopes it covers:

- ``any``: every record, or an action that is not about a particular record;
- ``own``: the target's owner is the actor (a target without an owner is the actor's own);
- ``team``: the target's owner is one of the actor's assigned teammates;
- ``managed``: the target's project is one the actor is project manager of;
- ``assigned``: the target's project is one the actor is on the team of (or manages).

Decisions, where the reference leaves room:

- Only ACTIVE users may do anything; pending and archived users, whatever their role, may not.
- Without a target, `can` answers "may the actor do this at all" (for menus and queues); a
  service acting on a record always passes its `Target`, and filters lists with `scopes_for`,
  `visible_user_ids` and `visible_project_ids`.
- Team and project-manager powers belong to the manager role: a member who is designated
  project manager, or who has teammates recorded, gains no manager powers from it.
- A record spanning several projects (a timesheet, an invoice) is allowed only if the check
  passes for each of its (owner, project) pairs; the service asks once per pair.
- Self-approval: administrators may approve, reject and withdraw approval of their own time
  (they can already edit and unlock any entry, and a one-person workspace needs an approver);
  nobody else may, not even a manager who lists themselves as a teammate or manages the project.
- Agents follow the matrix of their role, an agent administrator included. Logging to a
  project is the separate `may_log_to_project` rule: administrators may log to any project,
  except agents, which only reach projects they are assigned to (Scopes & Permissions page).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from keito_core.enums import ManagerPermission, Role, UserStatus, UserType
from keito_core.errors import KeitoError


class Scope(StrEnum):
    """Whose records a grant covers."""

    ANY = "any"
    OWN = "own"
    TEAM = "team"
    MANAGED = "managed"
    ASSIGNED = "assigned"


class Action(StrEnum):
    """Everything a user can do in the product, one name per permission decision."""

    WORKSPACE_VIEW = "workspace.view"
    WORKSPACE_EDIT = "workspace.edit"
    USER_VIEW = "user.view"
    USER_CREATE = "user.create"
    USER_EDIT = "user.edit"
    USER_ARCHIVE = "user.archive"
    PROFILE_EDIT = "profile.edit"
    USER_CHANGE_ROLE = "user.change_role"
    USER_RATES_EDIT = "user.rates_edit"
    RATES_VIEW = "rates.view"
    COST_RATES_VIEW = "cost_rates.view"
    TEAMMATES_MANAGE = "teammates.manage"
    BUSINESS_ROLES_MANAGE = "business_roles.manage"
    API_KEY_CREATE = "api_key.create"
    API_KEY_LIST = "api_key.list"
    API_KEY_REVOKE = "api_key.revoke"
    CLIENT_VIEW = "client.view"
    CLIENT_CREATE = "client.create"
    CLIENT_EDIT = "client.edit"
    CLIENT_ARCHIVE = "client.archive"
    CLIENT_DELETE = "client.delete"
    CONTACT_VIEW = "contact.view"
    CONTACT_CREATE = "contact.create"
    CONTACT_EDIT = "contact.edit"
    CONTACT_DELETE = "contact.delete"
    TASK_VIEW = "task.view"
    TASK_CREATE = "task.create"
    TASK_EDIT = "task.edit"
    TASK_ARCHIVE = "task.archive"
    TASK_DELETE = "task.delete"
    PROJECT_VIEW = "project.view"
    PROJECT_CREATE = "project.create"
    PROJECT_EDIT = "project.edit"
    PROJECT_ARCHIVE = "project.archive"
    PROJECT_DELETE = "project.delete"
    PROJECT_ASSIGN_MEMBERS = "project.assign_members"
    PROJECT_MANAGE_TASKS = "project.manage_tasks"
    PROJECT_RATES_EDIT = "project.rates_edit"
    PROJECT_BUDGET_VIEW = "project.budget_view"
    EXPENSE_CATEGORY_VIEW = "expense_category.view"
    EXPENSE_CATEGORY_MANAGE = "expense_category.manage"
    TIME_ENTRY_VIEW = "time_entry.view"
    TIME_ENTRY_CREATE = "time_entry.create"
    TIME_ENTRY_EDIT = "time_entry.edit"
    TIME_ENTRY_DELETE = "time_entry.delete"
    TIME_ENTRY_UNLOCK = "time_entry.unlock"
    EXPENSE_VIEW = "expense.view"
    EXPENSE_CREATE = "expense.create"
    EXPENSE_EDIT = "expense.edit"
    EXPENSE_DELETE = "expense.delete"
    EXPENSE_UNLOCK = "expense.unlock"
    TIMESHEET_SUBMIT = "timesheet.submit"
    TIMESHEET_APPROVE = "timesheet.approve"
    TIMESHEET_REJECT = "timesheet.reject"
    APPROVAL_WITHDRAW = "approval.withdraw"
    INVOICE_VIEW = "invoice.view"
    INVOICE_DRAFT = "invoice.draft"
    INVOICE_EDIT = "invoice.edit"
    INVOICE_SEND = "invoice.send"
    INVOICE_RECORD_PAYMENT = "invoice.record_payment"
    INVOICE_CLOSE = "invoice.close"
    INVOICE_SYNC = "invoice.sync"
    INVOICE_DELETE = "invoice.delete"
    REPORT_VIEW = "report.view"
    EXPORT_DATA = "export.data"
    INTEGRATIONS_MANAGE = "integrations.manage"
    NOTIFICATION_READ = "notification.read"
    AUDIT_VIEW = "audit.view"


@dataclass(frozen=True)
class Actor:
    """Who acts, with everything the policy needs to know about them."""

    user_id: str
    role: Role
    user_type: UserType
    status: UserStatus
    permissions: frozenset[ManagerPermission] = frozenset()
    teammate_ids: frozenset[str] = frozenset()
    managed_project_ids: frozenset[str] = frozenset()
    assigned_project_ids: frozenset[str] = frozenset()

    @property
    def is_active(self) -> bool:
        return self.status is UserStatus.ACTIVE

    def holds(self, permission: ManagerPermission) -> bool:
        """Whether the actor holds a manager permission (administrators hold them all)."""
        if self.role is Role.ADMIN:
            return True
        return self.role is Role.MANAGER and permission in self.permissions


@dataclass(frozen=True)
class Target:
    """The record acted on: whose it is and which project it belongs to.

    The names, when the caller has them, are what a refusal says (else the IDs); they never
    change a decision.
    """

    owner_id: str | None = None
    project_id: str | None = None
    owner_name: str | None = field(default=None, compare=False)
    project_name: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Grant:
    """Roles that may act on records in `scopes`, given `permission` when one is named."""

    roles: frozenset[Role]
    scopes: frozenset[Scope]
    permission: ManagerPermission | None = None


@dataclass(frozen=True)
class Rule:
    """An action's human label (for messages) and the grants that allow it."""

    label: str
    grants: tuple[Grant, ...]


def _everyone(*scopes: Scope) -> Grant:
    return Grant(frozenset(Role), frozenset(scopes))


def _managers(*scopes: Scope, needs: ManagerPermission | None = None) -> Grant:
    return Grant(frozenset({Role.MANAGER}), frozenset(scopes or (Scope.ANY,)), needs)


_P = ManagerPermission
_ANY, _OWN, _TEAM = Scope.ANY, Scope.OWN, Scope.TEAM
_MANAGED, _ASSIGNED = Scope.MANAGED, Scope.ASSIGNED
_ADMIN = Grant(frozenset({Role.ADMIN}), frozenset({Scope.ANY}))
_ADMINS = (_ADMIN,)
_EVERYONE = (_everyone(_ANY),)
_PERSONAL = (_everyone(_OWN), _ADMIN)
_DIRECTORY = (_managers(needs=_P.MANAGE_CLIENTS_TASKS), _ADMIN)
_CLIENT_READER = (*_DIRECTORY, _managers(needs=_P.CREATE_PROJECTS))
_PROJECT_TEAM = (_everyone(_ASSIGNED), _ADMIN)
_PROJECT_MANAGER = (_managers(_MANAGED), _ADMIN)
_RATES = (_managers(needs=_P.VIEW_RATES), _ADMIN)
_PROJECT_RATES = (_managers(_MANAGED, needs=_P.VIEW_RATES), _ADMIN)
_RECORD_OWNER = (_everyone(_OWN), _managers(_TEAM, needs=_P.EDIT_TEAM_ENTRIES), _ADMIN)
_RECORD_READER = (_everyone(_OWN), _managers(_TEAM, _MANAGED), _ADMIN)
_APPROVER = (_managers(_TEAM, _MANAGED), _ADMIN)
_WITHDRAWER = (_managers(_TEAM, _MANAGED, needs=_P.WITHDRAW_APPROVALS), _ADMIN)
_DRAFTER = (_managers(_MANAGED, needs=_P.DRAFT_INVOICES), _ADMIN)
_SENDER = (_managers(_MANAGED, needs=_P.SEND_INVOICES), _ADMIN)
_INVOICE_READER = (*_DRAFTER, _managers(_MANAGED, needs=_P.SEND_INVOICES))
_REPORTED = (_everyone(_OWN), _managers(_TEAM, _MANAGED), _ADMIN)
_SELF_ONLY = (_everyone(_OWN),)

RULES: dict[Action, Rule] = {
    Action.WORKSPACE_VIEW: Rule("view workspace settings", _EVERYONE),
    Action.WORKSPACE_EDIT: Rule("edit workspace settings", _ADMINS),
    Action.USER_VIEW: Rule("view users", (_everyone(_OWN), _managers(_TEAM), _ADMIN)),
    Action.USER_CREATE: Rule("add users", _ADMINS),
    Action.USER_EDIT: Rule("edit users", _ADMINS),
    Action.USER_ARCHIVE: Rule("archive or restore users", _ADMINS),
    Action.PROFILE_EDIT: Rule("edit profiles", _PERSONAL),
    Action.USER_CHANGE_ROLE: Rule("change roles and manager permissions", _ADMINS),
    Action.USER_RATES_EDIT: Rule("change user rates", _ADMINS),
    Action.RATES_VIEW: Rule("view billable rates", _RATES),
    Action.COST_RATES_VIEW: Rule("view cost rates", _ADMINS),
    Action.TEAMMATES_MANAGE: Rule("assign teammates to managers", _ADMINS),
    Action.BUSINESS_ROLES_MANAGE: Rule("manage business roles", _ADMINS),
    Action.API_KEY_CREATE: Rule("create API keys", _PERSONAL),
    Action.API_KEY_LIST: Rule("list API keys", _PERSONAL),
    Action.API_KEY_REVOKE: Rule("revoke API keys", _PERSONAL),
    Action.CLIENT_VIEW: Rule("view clients", _CLIENT_READER),
    Action.CLIENT_CREATE: Rule("create clients", _DIRECTORY),
    Action.CLIENT_EDIT: Rule("edit clients", _DIRECTORY),
    Action.CLIENT_ARCHIVE: Rule("archive or restore clients", _DIRECTORY),
    Action.CLIENT_DELETE: Rule("delete clients", _DIRECTORY),
    Action.CONTACT_VIEW: Rule("view client contacts", _CLIENT_READER),
    Action.CONTACT_CREATE: Rule("add client contacts", _DIRECTORY),
    Action.CONTACT_EDIT: Rule("edit client contacts", _DIRECTORY),
    Action.CONTACT_DELETE: Rule("delete client contacts", _DIRECTORY),
    Action.TASK_VIEW: Rule("view tasks", _EVERYONE),
    Action.TASK_CREATE: Rule("create tasks", _DIRECTORY),
    Action.TASK_EDIT: Rule("edit tasks", _DIRECTORY),
    Action.TASK_ARCHIVE: Rule("archive or restore tasks", _DIRECTORY),
    Action.TASK_DELETE: Rule("delete tasks", _DIRECTORY),
    Action.PROJECT_VIEW: Rule("view projects", _PROJECT_TEAM),
    Action.PROJECT_CREATE: Rule("create projects", (_managers(needs=_P.CREATE_PROJECTS), _ADMIN)),
    Action.PROJECT_EDIT: Rule("edit projects", _PROJECT_MANAGER),
    Action.PROJECT_ARCHIVE: Rule("archive or restore projects", _PROJECT_MANAGER),
    Action.PROJECT_DELETE: Rule("delete projects", _ADMINS),
    Action.PROJECT_ASSIGN_MEMBERS: Rule("assign project members", _PROJECT_MANAGER),
    Action.PROJECT_MANAGE_TASKS: Rule("manage project tasks", _PROJECT_MANAGER),
    Action.PROJECT_RATES_EDIT: Rule("edit project rates", _PROJECT_RATES),
    Action.PROJECT_BUDGET_VIEW: Rule("view project budgets", _PROJECT_MANAGER),
    Action.EXPENSE_CATEGORY_VIEW: Rule("view expense categories", _EVERYONE),
    Action.EXPENSE_CATEGORY_MANAGE: Rule("manage expense categories", _ADMINS),
    Action.TIME_ENTRY_VIEW: Rule("view time entries", _RECORD_READER),
    Action.TIME_ENTRY_CREATE: Rule("create time entries", _RECORD_OWNER),
    Action.TIME_ENTRY_EDIT: Rule("edit time entries", _RECORD_OWNER),
    Action.TIME_ENTRY_DELETE: Rule("delete time entries", _RECORD_OWNER),
    Action.TIME_ENTRY_UNLOCK: Rule("unlock time entries", _ADMINS),
    Action.EXPENSE_VIEW: Rule("view expenses", _RECORD_READER),
    Action.EXPENSE_CREATE: Rule("create expenses", _RECORD_OWNER),
    Action.EXPENSE_EDIT: Rule("edit expenses", _RECORD_OWNER),
    Action.EXPENSE_DELETE: Rule("delete expenses", _RECORD_OWNER),
    Action.EXPENSE_UNLOCK: Rule("unlock expenses", _ADMINS),
    Action.TIMESHEET_SUBMIT: Rule("submit timesheets", _SELF_ONLY),
    Action.TIMESHEET_APPROVE: Rule("approve timesheets", _APPROVER),
    Action.TIMESHEET_REJECT: Rule("reject timesheets", _APPROVER),
    Action.APPROVAL_WITHDRAW: Rule("withdraw approvals", _WITHDRAWER),
    Action.INVOICE_VIEW: Rule("view invoices", _INVOICE_READER),
    Action.INVOICE_DRAFT: Rule("draft invoices", _DRAFTER),
    Action.INVOICE_EDIT: Rule("edit invoices", _SENDER),
    Action.INVOICE_SEND: Rule("send invoices", _SENDER),
    Action.INVOICE_RECORD_PAYMENT: Rule("record invoice payments", _SENDER),
    Action.INVOICE_CLOSE: Rule("close invoices", _SENDER),
    Action.INVOICE_SYNC: Rule("sync invoices to accounting", _SENDER),
    Action.INVOICE_DELETE: Rule("delete invoices", _ADMINS),
    Action.REPORT_VIEW: Rule("view reports", _REPORTED),
    Action.EXPORT_DATA: Rule("export data", _REPORTED),
    Action.INTEGRATIONS_MANAGE: Rule("manage integrations", _ADMINS),
    Action.NOTIFICATION_READ: Rule("read notifications", _SELF_ONLY),
    Action.AUDIT_VIEW: Rule("view the audit log", _ADMINS),
}

#: Actions about a person's own approval, which only administrators may take on their own time.
SELF_APPROVAL_ACTIONS = frozenset(
    {Action.TIMESHEET_APPROVE, Action.TIMESHEET_REJECT, Action.APPROVAL_WITHDRAW}
)

_ROLE_NAMES = {Role.MEMBER: "member", Role.MANAGER: "manager", Role.ADMIN: "administrator"}


def _owner(actor: Actor, target: Target) -> str:
    return target.owner_id or actor.user_id


def _in_scope(actor: Actor, scope: Scope, target: Target) -> bool:
    if scope is Scope.ANY:
        return True
    if scope is Scope.OWN:
        return _owner(actor, target) == actor.user_id
    if scope is Scope.TEAM:
        return target.owner_id in actor.teammate_ids
    if scope is Scope.MANAGED:
        return target.project_id in actor.managed_project_ids
    projects = actor.assigned_project_ids | actor.managed_project_ids
    return target.project_id in projects


def _held_grants(actor: Actor, action: Action) -> list[Grant]:
    return [
        grant
        for grant in RULES[action].grants
        if actor.role in grant.roles and (grant.permission is None or actor.holds(grant.permission))
    ]


def scopes_for(actor: Actor, action: Action) -> frozenset[Scope]:
    """The scopes in which the actor may take `action` (empty: never), for filtering lists."""
    if not actor.is_active:
        return frozenset()
    return frozenset(scope for grant in _held_grants(actor, action) for scope in grant.scopes)


def _refusal(actor: Actor, action: Action, target: Target | None) -> tuple[str, str] | None:
    """None when allowed, else the refused action's wording and a hint."""
    rule = RULES[action]
    if not actor.is_active:
        return rule.label, _inactive_hint(actor)
    if (
        target is not None
        and action in SELF_APPROVAL_ACTIONS
        and actor.role is not Role.ADMIN
        and _owner(actor, target) == actor.user_id
    ):
        return f"{rule.label} for themselves", "Another approver or an administrator must do it."
    held = _held_grants(actor, action)
    if not held:
        missing = [g.permission for g in rule.grants if actor.role in g.roles and g.permission]
        if missing:
            names = " or ".join(f"'{p}'" for p in missing)
            return rule.label, f"An administrator can grant you the {names} manager permission."
        roles = {role for grant in rule.grants for role in grant.roles}
        names = " and ".join(f"{_ROLE_NAMES[r]}s" for r in Role if r in roles)
        return rule.label, f"Only {names} may do this."
    scopes = {scope for grant in held for scope in grant.scopes}
    if target is None or any(_in_scope(actor, scope, target) for scope in scopes):
        return None
    words = " and ".join(_SCOPE_WORDS[s] for s in Scope if s in scopes)
    return f"{rule.label}{_describe(actor, target)}", f"You may only do this for {words}."


def _inactive_hint(actor: Actor) -> str:
    if actor.status is UserStatus.PENDING:
        return "Accept the invitation to activate this account."
    return "An administrator can restore archived users."


_SCOPE_WORDS = {
    Scope.ANY: "any record",
    Scope.OWN: "your own records",
    Scope.TEAM: "your teammates",
    Scope.MANAGED: "projects you manage",
    Scope.ASSIGNED: "projects you are on",
}


def _describe(actor: Actor, target: Target) -> str:
    parts = []
    if target.owner_id and target.owner_id != actor.user_id:
        parts.append(f"of {target.owner_name}" if target.owner_name
                     else f"user {target.owner_id}")
    if target.project_id:
        parts.append(f"on {target.project_name}" if target.project_name
                     else f"project {target.project_id}")
    return f" ({', '.join(parts)})" if parts else ""


def _actor_name(actor: Actor) -> str:
    name = _ROLE_NAMES[actor.role]
    if actor.user_type is UserType.AGENT:
        name = f"agent {name}"
    if not actor.is_active:
        name = f"{actor.status} {name}"
    return name


def can(actor: Actor, action: Action, target: Target | None = None) -> bool:
    """Whether `actor` may take `action` on `target` (without one: on at least some records)."""
    return _refusal(actor, action, target) is None


def require(actor: Actor, action: Action, target: Target | None = None) -> None:
    """Raise authorization_error unless `can(actor, action, target)`."""
    refusal = _refusal(actor, action, target)
    if refusal is not None:
        detail, hint = refusal
        raise KeitoError("authorization_error", f"{_actor_name(actor)} may not {detail}", hint=hint)


def may_log_to_project(actor: Actor, project_id: str) -> bool:
    """Whether time and expenses may be logged for `actor` on the project.

    Check the entry's owner, not whoever types it: an administrator logging for a member
    passes the member's Actor. Human administrators reach every project; agents, whatever
    their role, only the projects they are assigned to.
    """
    if not actor.is_active:
        return False
    if actor.role is Role.ADMIN and actor.user_type is not UserType.AGENT:
        return True
    return project_id in actor.assigned_project_ids | actor.managed_project_ids


def require_project_assignment(actor: Actor, project_id: str, *, user_name: str | None = None,
                               project_name: str | None = None) -> None:
    """Raise project_not_assigned unless `may_log_to_project(actor, project_id)`; the message
    names the user and the project when given their names."""
    if not actor.is_active:
        raise KeitoError(
            "authorization_error",
            f"{_actor_name(actor)} may not log time or expenses",
            hint=_inactive_hint(actor),
        )
    if not may_log_to_project(actor, project_id):
        raise KeitoError(
            "project_not_assigned",
            f"{user_name or 'user ' + actor.user_id} is not assigned to "
            f"{project_name or 'project ' + project_id}",
            field="project",
            hint="An administrator or the project's manager can add them to the project team.",
        )


def visible_user_ids(actor: Actor) -> frozenset[str] | None:
    """Users whose records the actor may see; None means everyone (administrators).

    Managers also see entries on projects they manage: filter those by project, with
    `scopes_for(actor, Action.TIME_ENTRY_VIEW)` and `actor.managed_project_ids`.
    """
    scopes = scopes_for(actor, Action.USER_VIEW)
    if Scope.ANY in scopes:
        return None
    ids: set[str] = set()
    if Scope.OWN in scopes:
        ids.add(actor.user_id)
    if Scope.TEAM in scopes:
        ids |= actor.teammate_ids
    return frozenset(ids)


def visible_project_ids(actor: Actor) -> frozenset[str] | None:
    """Projects the actor may see; None means every project (administrators)."""
    scopes = scopes_for(actor, Action.PROJECT_VIEW)
    if Scope.ANY in scopes:
        return None
    if Scope.ASSIGNED in scopes:
        return actor.assigned_project_ids | actor.managed_project_ids
    return frozenset()


class Money(StrEnum):
    """The kinds of money field an outward shape holds, each shown by its own rule.

    - ``rate``: billable rates and fees (hourly rates, default rates, fixed fees): those who
      may view billable rates (managers with "View/edit billable rates", administrators);
    - ``cost``: internal cost rates: administrators only;
    - ``budget``: a project's budgets and their per-task and per-person parts: everyone who
      sees the project when it shows its budget to the team, else its managers and
      administrators;
    - ``amount``: what a record cost (an expense's units, unit price and total, a category's
      unit price): whoever may see the record, since its owner typed it.
    """

    RATE = "rate"
    COST = "cost"
    BUDGET = "budget"
    AMOUNT = "amount"


def field_visibility(
    actor: Actor, *, project_id: str | None = None, budget_visible_to_team: bool = False
) -> frozenset[Money]:
    """The kinds of money field `actor` may see; budgets only of the project named.

    Presenters ask this for every record they shape and leave out the fields of the kinds
    not returned, so no caller decides visibility for itself.
    """
    if not actor.is_active:
        return frozenset()
    shown = {Money.AMOUNT}
    if can(actor, Action.RATES_VIEW):
        shown.add(Money.RATE)
    if can(actor, Action.COST_RATES_VIEW):
        shown.add(Money.COST)
    if project_id is not None and (
        budget_visible_to_team
        or can(actor, Action.PROJECT_BUDGET_VIEW, Target(project_id=project_id))
    ):
        shown.add(Money.BUDGET)
    return frozenset(shown)
