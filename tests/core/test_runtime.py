"""The composition root: opening the workspace and deciding who acts."""

from __future__ import annotations

import os

import pytest

from keito_core.enums import Role, UserStatus, UserType
from keito_core.errors import KeitoError
from keito_core.models import ApiKey, User
from keito_core.platform import identity
from keito_core.platform.ids import new_id
from keito_core.platform.runtime import make_runtime


def test_opening_a_missing_workspace_creates_no_file(tmp_path):
    runtime = make_runtime({"KEITO_HOME": str(tmp_path)})
    with pytest.raises(KeitoError) as caught, runtime.session():
        pass
    assert caught.value.code == "config_error"
    assert "keito init" in (caught.value.hint or "")
    assert not (tmp_path / "data" / "keito.db").exists()


def test_create_makes_and_migrates_the_file(tmp_path):
    runtime = make_runtime({"KEITO_HOME": str(tmp_path)})
    with runtime.session(create=True) as session:
        with pytest.raises(KeitoError) as caught:
            identity.get_workspace(session)
        assert caught.value.code == "config_error"
    assert (tmp_path / "data" / "keito.db").exists()
    runtime.close()


def test_an_unreachable_server_is_a_config_error():
    runtime = make_runtime({"KEITO_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
                            "KEITO_HOME": "/nonexistent-keito-home"})
    with pytest.raises(KeitoError) as caught, runtime.session():
        pass
    assert caught.value.code == "config_error"


def _runtime(workspace, api_key=None):
    env = {
        "KEITO_DATABASE_URL": str(workspace.engine.url.render_as_string(hide_password=False)),
        "KEITO_HOME": os.environ["KEITO_HOME"],  # never a developer's real ~/.keito
    }
    if api_key:
        env["KEITO_API_KEY"] = api_key
    return make_runtime(env)


def test_the_default_user_acts_without_a_key(workspace):
    runtime = _runtime(workspace)
    with runtime.session(readonly=True) as session:
        actor = runtime.actor(session)
    assert actor.user_id == workspace.admin_id
    assert actor.role is Role.ADMIN
    runtime.close()


def _agent_with_key(workspace) -> tuple[str, str]:
    secret = identity.generate_secret()
    agent_id = new_id("user")
    with workspace.session() as session:
        session.add(
            User(
                id=agent_id,
                name="review-bot-01",
                email="bot@agents.test",
                user_type=UserType.AGENT,
                role=Role.MEMBER,
            )
        )
        session.flush()
        session.add(
            ApiKey(
                id=new_id("api_key"),
                user_id=agent_id,
                name="ci",
                prefix=secret[: identity.SHOWN_PREFIX_LENGTH],
                secret_hash=identity.hash_secret(secret),
            )
        )
    return agent_id, secret


def _last_used(workspace, agent_id):
    with workspace.session(readonly=True) as session:
        return session.exec(
            ApiKey.__table__.select().where(ApiKey.user_id == agent_id)
        ).first().last_used_at


def test_read_only_commands_record_key_use_too(workspace):
    agent_id, secret = _agent_with_key(workspace)
    runtime = _runtime(workspace, secret)
    with runtime.session(readonly=True) as session:
        assert runtime.actor(session).user_id == agent_id
    assert _last_used(workspace, agent_id) is not None
    runtime.close()


def test_an_api_key_identifies_its_user(workspace):
    agent_id, secret = _agent_with_key(workspace)
    runtime = _runtime(workspace, secret)
    with runtime.session() as session:
        actor = runtime.actor(session)
    assert actor.user_id == agent_id
    assert actor.user_type is UserType.AGENT
    with workspace.session(readonly=True) as session:
        key = session.get(
            ApiKey,
            session.exec(ApiKey.__table__.select().where(ApiKey.user_id == agent_id)).first().id,
        )
        assert key.last_used_at is not None
    runtime.close()


@pytest.mark.parametrize("secret", ["keito_sk_wrong", "not-a-key", "keito_sk_"])
def test_a_bad_key_is_an_authentication_error(workspace, secret):
    runtime = _runtime(workspace, secret)
    with pytest.raises(KeitoError) as caught, runtime.session() as session:
        runtime.actor(session)
    assert caught.value.code == "authentication_error"
    assert caught.value.exit_code == 1
    runtime.close()


def test_an_archived_users_key_is_refused(workspace):
    agent_id, secret = _agent_with_key(workspace)
    with workspace.session() as session:
        session.get(User, agent_id).status = UserStatus.ARCHIVED
    runtime = _runtime(workspace, secret)
    with pytest.raises(KeitoError) as caught, runtime.session() as session:
        runtime.actor(session)
    assert caught.value.code == "authentication_error"
    runtime.close()


def test_a_revoked_key_is_refused(workspace):
    from keito_core.models.types import utcnow

    agent_id, secret = _agent_with_key(workspace)
    with workspace.session() as session:
        key = session.exec(ApiKey.__table__.select().where(ApiKey.user_id == agent_id)).first()
        session.get(ApiKey, key.id).revoked_at = utcnow()
    runtime = _runtime(workspace, secret)
    with pytest.raises(KeitoError) as caught, runtime.session() as session:
        runtime.actor(session)
    assert caught.value.code == "authentication_error"
    runtime.close()


def test_only_the_hash_of_a_key_is_stored(workspace):
    _, secret = _agent_with_key(workspace)
    with workspace.session(readonly=True) as session:
        rows = session.exec(ApiKey.__table__.select()).all()
    assert rows and all(secret not in str(tuple(row)) for row in rows)
