"""Finding records by what people type."""

from __future__ import annotations

import pytest

from keito_core.errors import KeitoError
from keito_core.models import Client, Project, User
from keito_core.platform.ids import new_id
from keito_core.platform.lookup import find_client, find_project, find_user, unique_handle


@pytest.fixture
def rows(workspace):
    with workspace.session() as s:
        acme = Client(id=new_id("client"), name="Acme Corp", currency="GBP")
        s.add_all([acme, Client(id=new_id("client"), name="Acme_Labs", currency="GBP"),
                   Client(id=new_id("client"), name="Globex", currency="USD")])
        s.flush()
        s.add(Project(id=new_id("project"), client_id=acme.id, name="Website Redesign",
                      code="ACME-WEB", handle="acme"))
        s.add(User(id=new_id("user"), name="Bob Smith", email="bob@acme.test"))
    return workspace


@pytest.mark.parametrize("ref", ["acme", "ACME", "ACME-web", "website redesign", "Website"])
def test_a_project_by_handle_code_name_or_unique_prefix(rows, ref):
    with rows.session(readonly=True) as s:
        assert find_project(s, ref).code == "ACME-WEB"


def test_by_id(rows):
    with rows.session(readonly=True) as s:
        project = find_project(s, "acme")
        assert find_project(s, project.id) is project


@pytest.mark.parametrize("ref", ["bob@acme.test", "BOB@ACME.TEST", "bob smith", "bob"])
def test_a_user_by_email_name_or_prefix(rows, ref):
    with rows.session(readonly=True) as s:
        assert find_user(s, ref).name == "Bob Smith"


def test_an_ambiguous_prefix_names_the_candidates(rows):
    with rows.session(readonly=True) as s, pytest.raises(KeitoError) as caught:
        find_client(s, "acme")
    assert caught.value.code == "validation_error"
    assert "Acme Corp" in caught.value.message and "Acme_Labs" in caught.value.message


def test_like_wildcards_in_a_reference_are_literal(rows):
    with rows.session(readonly=True) as s:
        assert find_client(s, "acme_").name == "Acme_Labs"
        with pytest.raises(KeitoError) as caught:
            find_client(s, "%")
    assert caught.value.code == "not_found"
    assert caught.value.field == "client"


@pytest.mark.parametrize("ref", ["nope", "", "   ", "cli_0000000000000000000000"])
def test_unknown_or_empty(rows, ref):
    with rows.session(readonly=True) as s, pytest.raises(KeitoError) as caught:
        find_client(s, ref)
    assert caught.value.code in ("not_found", "validation_error")
    assert caught.value.field == "client"


def test_unique_handle(rows):
    with rows.session(readonly=True) as s:
        assert unique_handle(s, Project, "other") == "other"
        assert unique_handle(s, Project, "acme") == "acme-2"
        project = find_project(s, "acme")
        assert unique_handle(s, Project, "acme", exclude_id=project.id) == "acme"


@pytest.mark.parametrize("ref", ["Ørsted Søren & Partners", "ørsted søren & partners",
                                 "ØRSTED SØREN & PARTNERS", "ørsted", "Ørst"])
def test_names_in_any_script_are_found_whatever_their_case(workspace, ref):
    with workspace.session() as s:
        s.add_all([Client(id=new_id("client"), name="Ørsted Søren & Partners", currency="DKK"),
                   Client(id=new_id("client"), name="Östra Ångström AB", currency="SEK")])
    with workspace.session(readonly=True) as s:
        assert find_client(s, ref).currency == "DKK"
        assert find_client(s, "östra ångström ab").currency == "SEK"
