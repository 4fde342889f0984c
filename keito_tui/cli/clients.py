"""`keito client`: the clients you bill, and their contacts."""

from __future__ import annotations

import re
import sys
from typing import Annotated, Any

import typer

from keito_core.errors import validation
from keito_tui.cli.state import cli_state

app = typer.Typer(help="Add, list, edit, archive and delete clients and their contacts.",
                  no_args_is_help=True)
contact_app = typer.Typer(help="Add, list, edit and remove a client's contacts.",
                          no_args_is_help=True)
app.add_typer(contact_app, name="contact")

_COLUMNS = ["id", "name", "currency", "city", "country", "is_active"]
_CONTACT_COLUMNS = ["id", "name", "title", "email", "phone_office"]

ClientArg = Annotated[str, typer.Argument(help="Client ID or name.")]
CurrencyOpt = Annotated[str | None, typer.Option(help="Billing currency (ISO 4217), e.g. EUR.")]
StreetOpt = Annotated[str | None, typer.Option(help="Street address (\\n for a new line).")]
AddressOpt = Annotated[str | None, typer.Option(
    help="Street address with lines separated by commas: fills --street.")]
CityOpt = Annotated[str | None, typer.Option(help="City.")]
RegionOpt = Annotated[str | None, typer.Option(help="State, province or region.")]
PostalOpt = Annotated[str | None, typer.Option(help="Postal or ZIP code.")]
CountryOpt = Annotated[str | None, typer.Option(help="Country.")]
PhoneOpt = Annotated[str | None, typer.Option(help="Phone number.")]
ArchivedOpt = Annotated[bool, typer.Option("--archived", help="Only archived records.")]
AllOpt = Annotated[bool, typer.Option("--all", help="Active and archived records.")]


def list_status(archived: bool, all_: bool) -> str:
    """The status a list command asks for from its --archived / --all flags."""
    return "all" if all_ else "archived" if archived else "active"


def _street(street: str | None, address: str | None) -> str | None:
    if address is not None and street is not None:
        raise validation("give --street or --address, not both", field="address")
    if address is not None:
        return "\n".join(p.strip() for p in re.split(r",|\\n|\n", address) if p.strip())
    return None if street is None else street.replace("\\n", "\n")


def _address(street: str | None, address: str | None, **fields: str | None) -> dict[str, Any]:
    values = {"street": _street(street, address), **fields}
    return {k: v for k, v in values.items() if v is not None}


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Client name (unique).")],
    currency: CurrencyOpt = None,
    street: StreetOpt = None,
    address: AddressOpt = None,
    city: CityOpt = None,
    region: RegionOpt = None,
    postal_code: PostalOpt = None,
    country: CountryOpt = None,
    phone: PhoneOpt = None,
) -> None:
    """Add a client (currency defaults to the workspace's)."""
    from keito_core import presenters as public
    from keito_core.services.directory.clients import create_client

    values = _address(street, address, city=city, region=region, postal_code=postal_code,
                      country=country, phone=phone)
    state = cli_state()
    with state.acting() as (session, actor):
        client = create_client(session, actor=actor, name=name, currency=currency, **values,
                               now=state.runtime.clock())
        data = public.client(client, contacts=[], viewer=actor)
    state.output.record(data, message=f"Added client {data['name']} ({data['id']})")


@app.command("list")
def list_(archived: ArchivedOpt = False, all_: AllOpt = False) -> None:
    """List clients (active ones unless --archived or --all)."""
    from keito_core import presenters as public
    from keito_core.services.directory.clients import list_clients

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        clients = list_clients(session, actor=actor, status=list_status(archived, all_))
        rows = [public.client(c, viewer=actor) for c in clients]
    if not state.output.json:
        rows = [{**r, "city": r["address"]["city"], "country": r["address"]["country"]}
                for r in rows]
    state.output.listing(rows, columns=_COLUMNS, title="Clients", optional=["city", "country"])


@app.command("show")
def show(client: ClientArg) -> None:
    """Show a client with its address and contacts."""
    from keito_core import presenters as public
    from keito_core.services.directory.clients import get_client

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        found, contacts = get_client(session, actor=actor, ref=client)
        data = public.client(found, contacts=contacts, viewer=actor)
    state.output.record(data, title=data["name"])


@app.command("edit")
def edit(
    client: ClientArg,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    currency: CurrencyOpt = None,
    street: StreetOpt = None,
    address: AddressOpt = None,
    city: CityOpt = None,
    region: RegionOpt = None,
    postal_code: PostalOpt = None,
    country: CountryOpt = None,
    phone: PhoneOpt = None,
) -> None:
    """Change a client's details ("" clears an optional field)."""
    from keito_core import presenters as public
    from keito_core.services.directory.clients import edit_client, get_client

    changes = _address(street, address, name=name, currency=currency, city=city, region=region,
                       postal_code=postal_code, country=country, phone=phone)
    state = cli_state()
    with state.acting() as (session, actor):
        updated = edit_client(session, actor=actor, ref=client, **changes,
                              now=state.runtime.clock())
        _, contacts = get_client(session, actor=actor, ref=updated.id)
        data = public.client(updated, contacts=contacts, viewer=actor)
    state.output.record(data, message=f"Updated client {data['name']}")


@app.command("archive")
def archive(client: ClientArg) -> None:
    """Archive a client: hidden from active lists, history kept."""
    _set_active(client, active=False)


@app.command("restore")
def restore(client: ClientArg) -> None:
    """Restore an archived client."""
    _set_active(client, active=True)


def _set_active(ref: str, *, active: bool) -> None:
    from keito_core import presenters as public
    from keito_core.services.directory.clients import archive_client, restore_client

    state = cli_state()
    action = restore_client if active else archive_client
    with state.acting() as (session, actor):
        data = public.client(action(session, actor=actor, ref=ref,
                                    now=state.runtime.clock()), viewer=actor)
    verb = "Restored" if active else "Archived"
    state.output.message(f"{verb} client {data['name']}", data=data)


@app.command("delete")
def delete(
    client: ClientArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a client that no project or invoice refers to (else archive it)."""
    from keito_core import presenters as public
    from keito_core.services.directory.clients import delete_client

    state = cli_state()
    if not yes and sys.stdin.isatty() and not state.output.json:
        typer.confirm(f"Delete client {client!r} and its contacts?", abort=True)
    with state.acting() as (session, actor):
        data = public.client(delete_client(session, actor=actor, ref=client,
                                           now=state.runtime.clock()), viewer=actor)
    state.output.message(f"Deleted client {data['name']}",
                         data={"id": data["id"], "name": data["name"], "deleted": True})


# --- contacts -----------------------------------------------------------------------------

LastNameOpt = Annotated[str | None, typer.Option(help="Last name.")]
TitleOpt = Annotated[str | None, typer.Option(help="Job title.")]
EmailOpt = Annotated[str | None, typer.Option(help="Email address (receives invoices).")]
OfficeOpt = Annotated[str | None, typer.Option("--phone", help="Office phone.")]
MobileOpt = Annotated[str | None, typer.Option("--mobile", help="Mobile phone.")]
FaxOpt = Annotated[str | None, typer.Option(help="Fax number.")]
ContactArg = Annotated[str, typer.Argument(help="Contact ID (see `keito client contact list`).")]


def _contact_fields(**values: str | None) -> dict[str, str]:
    return {k: v for k, v in values.items() if v is not None}


@contact_app.command("add")
def contact_add(
    client: ClientArg,
    first_name: Annotated[str, typer.Option(help="First name (required).")],
    last_name: LastNameOpt = None,
    title: TitleOpt = None,
    email: EmailOpt = None,
    phone: OfficeOpt = None,
    mobile: MobileOpt = None,
    fax: FaxOpt = None,
) -> None:
    """Add a contact to a client."""
    from keito_core import presenters as public
    from keito_core.services.directory.clients import add_contact

    state = cli_state()
    with state.acting() as (session, actor):
        contact = add_contact(session, actor=actor, client_ref=client, first_name=first_name,
                              last_name=last_name, title=title, email=email,
                              phone_office=phone, phone_mobile=mobile, fax=fax,
                              now=state.runtime.clock())
        data = public.contact(contact, viewer=actor)
    state.output.record(data, message=f"Added contact {data['first_name']} ({data['id']})")


@contact_app.command("list")
def contact_list(client: ClientArg) -> None:
    """List a client's contacts."""
    from keito_core import presenters as public
    from keito_core.services.directory.clients import list_contacts

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        contacts = list_contacts(session, actor=actor, client_ref=client)
        rows = [public.contact(c, viewer=actor) for c in contacts]
    if not state.output.json:
        rows = [{**r, "name": " ".join(filter(None, (r["first_name"], r["last_name"])))}
                for r in rows]
    state.output.listing(rows, columns=_CONTACT_COLUMNS, title="Contacts",
                         optional=["title", "phone_office"])


@contact_app.command("edit")
def contact_edit(
    contact: ContactArg,
    first_name: Annotated[str | None, typer.Option(help="First name.")] = None,
    last_name: LastNameOpt = None,
    title: TitleOpt = None,
    email: EmailOpt = None,
    phone: OfficeOpt = None,
    mobile: MobileOpt = None,
    fax: FaxOpt = None,
) -> None:
    """Change a contact's details ("" clears an optional field)."""
    from keito_core import presenters as public
    from keito_core.services.directory.clients import edit_contact

    changes = _contact_fields(first_name=first_name, last_name=last_name, title=title,
                              email=email, phone_office=phone, phone_mobile=mobile, fax=fax)
    state = cli_state()
    with state.acting() as (session, actor):
        edited = edit_contact(session, actor=actor, contact_id=contact, **changes,
                              now=state.runtime.clock())
        data = public.contact(edited, viewer=actor)
    state.output.record(data, message=f"Updated contact {data['first_name']}")


@contact_app.command("remove")
def contact_remove(contact: ContactArg) -> None:
    """Remove a contact from its client."""
    from keito_core import presenters as public
    from keito_core.services.directory.clients import remove_contact

    state = cli_state()
    with state.acting() as (session, actor):
        removed = remove_contact(session, actor=actor, contact_id=contact,
                                 now=state.runtime.clock())
        data = public.contact(removed, viewer=actor)
    state.output.message(f"Removed contact {data['first_name']}",
                         data={"id": data["id"], "client_id": data["client_id"], "deleted": True})
