"""Tests for keito_core.rules.rates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from keito_core.enums import BillBy, ProjectType
from keito_core.errors import KeitoError
from keito_core.rules.rates import billable_amount, resolve_billable, resolve_billable_rate

D = Decimal
PROJECT, TASK, MEMBER, USER = D("150"), D("120"), D("135"), D("100")
TM, FIXED, NON = ProjectType.TIME_AND_MATERIALS, ProjectType.FIXED_FEE, ProjectType.NON_BILLABLE


def rate(
    project_type: ProjectType | str = TM,
    bill_by: BillBy | str = BillBy.PROJECT,
    *,
    project_rate: Decimal | None = PROJECT,
    task_rate: Decimal | None = TASK,
    member_rate: Decimal | None = MEMBER,
    user_default_rate: Decimal | None = USER,
) -> Decimal | None:
    return resolve_billable_rate(
        project_type=project_type,
        bill_by=bill_by,
        project_rate=project_rate,
        task_rate=task_rate,
        member_rate=member_rate,
        user_default_rate=user_default_rate,
    )


@pytest.mark.parametrize(
    ("project_type", "bill_by", "expected"),
    [
        (TM, BillBy.PROJECT, PROJECT),
        (TM, BillBy.TASK, TASK),
        (TM, BillBy.PERSON, MEMBER),
        (TM, BillBy.NONE, None),
        (FIXED, BillBy.PROJECT, PROJECT),  # fixed fee still values hours by bill_by
        (FIXED, BillBy.TASK, TASK),
        (FIXED, BillBy.PERSON, MEMBER),
        (FIXED, BillBy.NONE, None),
        (NON, BillBy.PROJECT, None),
        (NON, BillBy.TASK, None),
        (NON, BillBy.PERSON, None),
        (NON, BillBy.NONE, None),
        ("time_and_materials", "task", TASK),  # plain stored strings work too
        ("non_billable", "project", None),
    ],
)
def test_rate_follows_bill_by(
    project_type: ProjectType, bill_by: BillBy, expected: Decimal | None
) -> None:
    assert rate(project_type, bill_by) == expected


@pytest.mark.parametrize(
    ("bill_by", "missing"),
    [
        (BillBy.PROJECT, "project_rate"),
        (BillBy.TASK, "task_rate"),
        (BillBy.PERSON, "member_rate"),
    ],
)
@pytest.mark.parametrize("project_type", [TM, FIXED])
def test_missing_chosen_rate_falls_back_to_user_default(
    project_type: ProjectType, bill_by: BillBy, missing: str
) -> None:
    assert rate(project_type, bill_by, **{missing: None}) == USER  # type: ignore[arg-type]


@pytest.mark.parametrize("bill_by", [BillBy.PROJECT, BillBy.TASK, BillBy.PERSON])
def test_no_rate_anywhere_is_none(bill_by: BillBy) -> None:
    assert (
        rate(
            TM,
            bill_by,
            project_rate=None,
            task_rate=None,
            member_rate=None,
            user_default_rate=None,
        )
        is None
    )


def test_zero_rate_is_a_rate_not_a_missing_one() -> None:
    assert rate(TM, BillBy.PROJECT, project_rate=D("0")) == D("0")
    assert rate(TM, BillBy.PERSON, member_rate=D("0")) == D("0")


def test_other_rates_do_not_leak_into_the_choice() -> None:
    assert rate(TM, BillBy.PROJECT, task_rate=D("999"), member_rate=D("999")) == PROJECT
    assert rate(TM, BillBy.TASK, project_rate=D("999"), member_rate=D("999")) == TASK
    assert rate(TM, BillBy.PERSON, project_rate=D("999"), task_rate=D("999")) == MEMBER


@pytest.mark.parametrize("bad", ["hourly", "Project"])
def test_unknown_bill_by_is_an_error(bad: str) -> None:
    with pytest.raises(ValueError):
        rate(TM, bad)


@pytest.mark.parametrize(
    ("project_type", "entry_choice", "task_billable", "expected"),
    [
        (TM, None, None, True),
        (TM, None, True, True),
        (TM, None, False, False),
        (TM, True, False, True),  # explicit choice wins over the task default
        (TM, False, True, False),
        (TM, True, None, True),
        (TM, False, None, False),
        (FIXED, None, None, True),
        (FIXED, False, True, False),
        (FIXED, None, False, False),
        (NON, True, True, False),  # never billable on a non-billable project
        (NON, None, None, False),
        (NON, True, None, False),
        ("non_billable", True, True, False),
    ],
)
def test_resolve_billable(
    project_type: ProjectType,
    entry_choice: bool | None,
    task_billable: bool | None,
    expected: bool,
) -> None:
    result = resolve_billable(
        project_type=project_type, entry_choice=entry_choice, task_billable=task_billable
    )
    assert result is expected


@pytest.mark.parametrize(
    ("seconds", "hourly", "expected"),
    [
        (3600, D("150"), D("150")),
        (5400, D("150"), D("225")),
        (900, D("100"), D("25")),
        (0, D("150"), D("0")),
        (60, D("90"), D("1.5")),
        (1, D("3600"), D("1")),
        (4799, D("120"), D("159.9666666666666666666666667")),  # exact to context precision
        (3600, D("0.003"), D("0.003")),
        (36, D("100"), D("1")),
    ],
)
def test_billable_amount(seconds: int, hourly: Decimal, expected: Decimal) -> None:
    result = billable_amount(seconds, hourly)
    assert result == expected
    assert isinstance(result, Decimal)


def test_billable_amount_is_not_rounded_to_cents() -> None:
    # 1 minute at 100/h is 1.666...; the invoice line rounds, not this rule.
    assert billable_amount(60, D("100")) != D("1.67")
    assert billable_amount(60, D("100")).quantize(D("0.01")) == D("1.67")


def test_billable_amount_sums_split_work_like_one_entry() -> None:
    parts = [billable_amount(s, D("150")) for s in (1800, 900, 900)]
    assert sum(parts) == billable_amount(3600, D("150"))


def test_billable_amount_rejects_negative_duration() -> None:
    with pytest.raises(KeitoError) as info:
        billable_amount(-1, D("100"))
    assert info.value.field == "duration"


def test_billable_amount_refuses_float_rate() -> None:
    with pytest.raises(TypeError):
        billable_amount(3600, 150.0)  # type: ignore[arg-type]
