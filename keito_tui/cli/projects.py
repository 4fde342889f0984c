"""`keito project`: projects, their budgets, their tasks and their team.

PROJECT is an ID, code, handle or case-insensitive name. In `edit`, `none` clears an optional
value (code, rate, fee, budget, dates) and an empty --notes clears the notes.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from keito_tui.cli.state import cli_state

app = typer.Typer(help="Create, list and edit projects, their tasks and their team.",
                  no_args_is_help=True)
task_app = typer.Typer(help="Enable tasks on a project and set their overrides.",
                       no_args_is_help=True)
app.add_typer(task_app, name="task")

ProjectArg = Annotated[str, typer.Argument(help="Project ID, code, handle or name.")]
ClientOpt = Annotated[str | None, typer.Option("--client", help="Client ID or name.")]
NameOpt = Annotated[str | None, typer.Option("--name", help="New project name.")]
CodeOpt = Annotated[str | None, typer.Option(help="Short project code, e.g. ACME-WEB.")]
HandleOpt = Annotated[str | None, typer.Option(help="Handle for commands (default: code or name).")]
TypeOpt = Annotated[str | None, typer.Option(
    "--type", help="time-and-materials, fixed-fee or non-billable.")]
BillByOpt = Annotated[str | None, typer.Option(help="Rates by: project, task, person or none.")]
RateOpt = Annotated[str | None, typer.Option(help="Project hourly rate.")]
FeeOpt = Annotated[str | None, typer.Option(help="Total fee of a fixed-fee project.")]
BudgetByOpt = Annotated[str | None, typer.Option(help="Budget: none, hours, fees, task or person.")]
BudgetOpt = Annotated[str | None, typer.Option(help="Total budget: hours, or money for fees.")]
MonthlyOpt = Annotated[bool | None, typer.Option(
    "--monthly-budget/--no-monthly-budget", help="Reset the budget every month.")]
AlertOpt = Annotated[str | None, typer.Option(
    help="Alert when this % of the budget is used (1-100, or off).")]
ExpensesOpt = Annotated[bool | None, typer.Option(
    "--budget-includes-expenses/--budget-excludes-expenses",
    help="Count billable expenses against a fee budget.")]
HiddenOpt = Annotated[bool | None, typer.Option(
    "--hide-budget/--show-budget", help="Hide the budget from the project team.")]
StartsOpt = Annotated[str | None, typer.Option("--starts", help="Start date (YYYY-MM-DD).")]
EndsOpt = Annotated[str | None, typer.Option("--ends", help="End date (YYYY-MM-DD).")]
NotesOpt = Annotated[str | None, typer.Option(help="Internal notes.")]
MemberRateOpt = Annotated[str | None, typer.Option(
    help="This project's rate for them, or `default` for their own rate.")]
HoursBudgetOpt = Annotated[str | None, typer.Option(help="Budget in hours.")]
FeesBudgetOpt = Annotated[str | None, typer.Option(help="Budget in money.")]

_LIST_COLUMNS = ["handle", "code", "name", "client_name", "billing_type", "is_active"]
_MEMBER_COLUMNS = ["user_id", "name", "is_project_manager", "hourly_rate", "budget_hours"]
_TASK_COLUMNS = ["task_id", "name", "is_billable", "hourly_rate", "budget_hours", "is_active"]


def _settings(*, clearable: bool, **options: Any) -> dict[str, Any]:
    """Service keyword arguments from the options given; `none` clears where `clearable`."""
    names = {"client": "client_ref", "type": "project_type", "fee": "fixed_fee",
             "starts": "starts_on", "ends": "ends_on", "monthly": "budget_monthly_reset",
             "alert": "budget_alert_percent", "expenses": "budget_includes_expenses"}
    out: dict[str, Any] = {}
    for key, value in options.items():
        if value is None:
            continue
        if key == "hidden":
            out["budget_visible_to_team"] = not value
            continue
        if (clearable and isinstance(value, str) and value.strip().lower() == "none"
                and key in ("code", "rate", "fee", "budget", "starts", "ends")):
            value = None
        out[names.get(key, key)] = value
    return out


def _show(state: Any, session: Any, actor: Any, project: Any, message: str) -> None:
    from keito_core.services.directory.projects import describe_project

    data = describe_project(session, actor=actor, project=project).public()
    state.output.record(data, message=message)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Project name.")],
    client: Annotated[str, typer.Option("--client", help="Client ID or name.")],
    code: CodeOpt = None, handle: HandleOpt = None, project_type: TypeOpt = None,
    bill_by: BillByOpt = None, rate: RateOpt = None, fee: FeeOpt = None,
    budget_by: BudgetByOpt = None, budget: BudgetOpt = None, monthly: MonthlyOpt = None,
    budget_alert: AlertOpt = None, expenses: ExpensesOpt = None, hidden: HiddenOpt = None,
    starts: StartsOpt = None, ends: EndsOpt = None, notes: NotesOpt = None,
) -> None:
    """Create a project for a client (you join its team; default tasks are added)."""
    from keito_core.services.directory.projects import create_project

    kwargs = _settings(clearable=False, code=code, handle=handle, type=project_type,
                       bill_by=bill_by, rate=rate, fee=fee, budget_by=budget_by, budget=budget,
                       monthly=monthly, alert=budget_alert, expenses=expenses, hidden=hidden,
                       starts=starts, ends=ends, notes=notes)
    state = cli_state()
    with state.acting() as (session, actor):
        project = create_project(session, actor=actor, name=name, client_ref=client, **kwargs,
                                 now=state.runtime.clock())
        _show(state, session, actor, project, f"Created project {project.name} ({project.handle})")


@app.command("list")
def list_(
    client: ClientOpt = None,
    archived: Annotated[bool, typer.Option("--archived", help="Only archived projects.")] = False,
    all_: Annotated[bool, typer.Option("--all", help="Active and archived projects.")] = False,
) -> None:
    """List the projects you can see, by client."""
    from keito_core.services.directory.projects import list_projects

    status = "all" if all_ else "archived" if archived else "active"
    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        rows = [v.public() for v in list_projects(session, actor=actor, status=status,
                                                  client_ref=client)]
    state.output.listing(rows, columns=_LIST_COLUMNS, title="Projects",
                         optional=["billing_type", "is_active"])


@app.command("show")
def show(project: ProjectArg) -> None:
    """Show a project with its tasks and team."""
    from keito_core.services.directory.projects import get_project

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        data = get_project(session, actor=actor, ref=project).public()
    state.output.record(data)


@app.command("edit")
def edit(
    project: ProjectArg, name: NameOpt = None, client: ClientOpt = None, code: CodeOpt = None,
    handle: HandleOpt = None, project_type: TypeOpt = None, bill_by: BillByOpt = None,
    rate: RateOpt = None, fee: FeeOpt = None, budget_by: BudgetByOpt = None,
    budget: BudgetOpt = None, monthly: MonthlyOpt = None, budget_alert: AlertOpt = None,
    expenses: ExpensesOpt = None, hidden: HiddenOpt = None, starts: StartsOpt = None,
    ends: EndsOpt = None, notes: NotesOpt = None,
) -> None:
    """Change a project's settings (only the options given; `none` clears)."""
    from keito_core.services.directory.projects import edit_project

    kwargs = _settings(clearable=True, name=name, client=client, code=code, handle=handle,
                       type=project_type, bill_by=bill_by, rate=rate, fee=fee,
                       budget_by=budget_by, budget=budget, monthly=monthly, alert=budget_alert,
                       expenses=expenses, hidden=hidden, starts=starts, ends=ends, notes=notes)
    state = cli_state()
    with state.acting() as (session, actor):
        result = edit_project(session, actor=actor, ref=project, **kwargs,
                              now=state.runtime.clock())
        _show(state, session, actor, result, f"Updated project {result.name}")


@app.command("archive")
def archive(project: ProjectArg) -> None:
    """Archive a finished project (its entries and invoices stay)."""
    from keito_core.services.directory.projects import archive_project

    state = cli_state()
    with state.acting() as (session, actor):
        result = archive_project(session, actor=actor, ref=project, now=state.runtime.clock())
        _show(state, session, actor, result, f"Archived project {result.name}")


@app.command("restore")
def restore(project: ProjectArg) -> None:
    """Restore an archived project."""
    from keito_core.services.directory.projects import restore_project

    state = cli_state()
    with state.acting() as (session, actor):
        result = restore_project(session, actor=actor, ref=project, now=state.runtime.clock())
        _show(state, session, actor, result, f"Restored project {result.name}")


@app.command("assign")
def assign(
    project: ProjectArg,
    users: Annotated[list[str], typer.Argument(help="Users (ID, email or name); several allowed.")],
    rate: MemberRateOpt = None, budget: HoursBudgetOpt = None, budget_fees: FeesBudgetOpt = None,
    manager: Annotated[bool | None, typer.Option(
        "--manager/--not-manager", help="Make them project managers (or not).")] = None,
) -> None:
    """Put users on the project team, or change their rate, budget or manager flag."""
    from keito_core.services.directory.project_team import assign_member
    from keito_core.services.directory.projects import describe_project

    state = cli_state()
    with state.acting() as (session, actor):
        ids = set()
        for user in users:
            member, _ = assign_member(session, actor=actor, project_ref=project, user_ref=user,
                                      rate=rate, budget=budget, budget_fees=budget_fees,
                                      manager=manager, now=state.runtime.clock())
            ids.add(member.user_id)
        view = describe_project(session, actor=actor, project=_project(session, project))
        rows = [row for row in view.member_rows() if row["user_id"] in ids]
        extra = {"project_id": view.project.id}
    state.output.listing(rows, columns=_MEMBER_COLUMNS, title="Assigned", extra=extra)


@app.command("unassign")
def unassign(
    project: ProjectArg,
    users: Annotated[list[str], typer.Argument(help="Users (ID, email or name); several allowed.")],
) -> None:
    """Take users off the project team (their entries stay)."""
    from keito_core.services.directory.project_team import unassign_member

    state = cli_state()
    with state.acting() as (session, actor):
        removed = [unassign_member(session, actor=actor, project_ref=project, user_ref=user,
                                   now=state.runtime.clock())
                   for user in users]
        data = {"project_id": _project(session, project).id,
                "removed": [{"id": u.id, "name": u.name} for u in removed]}
    names = ", ".join(u["name"] for u in data["removed"])
    state.output.message(f"Removed {names} from the project", data=data)


def _project(session: Any, ref: str) -> Any:
    from keito_core.platform.lookup import find_project

    return find_project(session, ref)


@task_app.command("add")
def task_add(
    project: ProjectArg,
    task: Annotated[str, typer.Argument(help="Task ID, handle or name.")],
    billable: Annotated[bool | None, typer.Option(
        "--billable/--no-billable", help="Override the task's billable default here.")] = None,
    rate: MemberRateOpt = None, budget: HoursBudgetOpt = None, budget_fees: FeesBudgetOpt = None,
) -> None:
    """Enable a task on a project, or change its overrides there."""
    from keito_core.services.directory.project_team import add_project_task
    from keito_core.services.directory.projects import describe_project

    state = cli_state()
    with state.acting() as (session, actor):
        pt, t = add_project_task(session, actor=actor, project_ref=project, task_ref=task,
                                 billable=billable, rate=rate, budget=budget,
                                 budget_fees=budget_fees, now=state.runtime.clock())
        view = describe_project(session, actor=actor, project=_project(session, project),
                                detail=False)
        view.tasks = [(pt, t)]
        data = {**view.task_rows()[0], "project_id": pt.project_id}
    state.output.record(data, message=f"Task {t.name} is on project {view.project.name}")


@task_app.command("remove")
def task_remove(
    project: ProjectArg,
    task: Annotated[str, typer.Argument(help="Task ID, handle or name.")],
) -> None:
    """Take a task off a project (deactivated instead when time was logged to it)."""
    from keito_core.services.directory.project_team import remove_project_task

    state = cli_state()
    with state.acting() as (session, actor):
        result = remove_project_task(session, actor=actor, project_ref=project, task_ref=task,
                                     now=state.runtime.clock())
        data = {"id": result.project_task.id, "project_id": result.project_task.project_id,
                "task_id": result.task.id, "deactivated": result.deactivated,
                "removed": not result.deactivated}
    text = (f"Task {result.task.name} has time logged, so it was deactivated on the project"
            if result.deactivated else f"Removed task {result.task.name} from the project")
    state.output.message(text, data=data)


@task_app.command("list")
def task_list(project: ProjectArg) -> None:
    """List the tasks enabled on a project, with their overrides."""
    from keito_core.services.directory.projects import get_project

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        view = get_project(session, actor=actor, ref=project)
        rows = view.task_rows()
        extra = {"project_id": view.project.id}
    state.output.listing(rows, columns=_TASK_COLUMNS, title="Project tasks", extra=extra)
