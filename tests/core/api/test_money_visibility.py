"""What the Python API returns of rates and costs, by who asks: an agent member sees none, not
even on the entries it logs; an administrator sees them all."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from keito_core.api import Keito

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
RATES = {"billable_rate", "cost_rate"}


@pytest.fixture
def bot_key(cli, workspace) -> str:
    """Agent review-bot-01 (rate 75, cost 5) on project `acme` (rate 150); its key."""
    for args in (("client", "add", "Acme Corp"),
                 ("project", "add", "Acme Website", "--client", "Acme Corp", "--code", "acme",
                  "--rate", "150"),
                 ("user", "add", "review-bot-01", "--agent", "--rate", "75", "--cost-rate", "5"),
                 ("project", "assign", "acme", "review-bot-01")):
        assert cli(*args).exit_code == 0, args
    created = cli("key", "create", "--user", "review-bot-01")
    assert created.exit_code == 0, created
    return created.json["secret"]


def test_an_agent_member_gets_no_rates_on_its_own_entries(bot_key):
    bot = Keito(api_key=bot_key, _clock=lambda: NOW)
    logged = bot.time_entries.create(project_id="acme", spent_date="2026-03-06", hours=1.5)
    running = bot.time_entries.create(project_id="acme", is_running=True)
    stopped = bot.time_entries.update(running.id, is_running=False)
    seen = [logged, running, stopped, bot.time_entries.get(logged.id),
            *bot.time_entries.list(from_date="2026-03-06", to_date="2026-03-06")]
    for entry in seen:
        assert not set(entry.to_dict()) & RATES, entry
    with bot.track_agent_work(project_id="acme", agent_id="review-bot-01") as session:
        pass
    assert session.entry is not None and not set(session.entry.to_dict()) & RATES
    me = bot.users.me()
    assert (me.billable_rate, me.cost_rate) == (None, None)
    assert not set(me.extra) & RATES


def test_an_administrator_sees_the_rates_of_the_agents_entries(bot_key):
    bot = Keito(api_key=bot_key, _clock=lambda: NOW)
    logged = bot.time_entries.create(project_id="acme", spent_date="2026-03-06", hours=1.5)
    admin = Keito(_clock=lambda: NOW)
    entry = admin.time_entries.get(logged.id)
    assert (entry.billable_rate, entry.cost_rate) == (Decimal("150"), Decimal("5"))
    agent = admin.users.get("review-bot-01")
    assert (agent.billable_rate, agent.cost_rate) == (Decimal("75"), Decimal("5"))
