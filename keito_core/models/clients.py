"""Clients (the billing entities) and their contacts."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from keito_core.models.base import Timestamped, fk, id_field, timestamp


class Client(Timestamped, table=True):
    __tablename__ = "clients"

    id: str = id_field()
    name: str = Field(max_length=200, unique=True)
    currency: str = Field(max_length=3)
    street: str | None = Field(default=None, max_length=500)
    city: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    is_active: bool = Field(default=True, index=True)
    archived_at: datetime | None = timestamp(nullable=True)


class Contact(Timestamped, table=True):
    """A person at a client who receives invoices."""

    __tablename__ = "contacts"

    id: str = id_field()
    client_id: str = fk("clients.id", ondelete="CASCADE")
    first_name: str = Field(max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    title: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=254)
    phone_office: str | None = Field(default=None, max_length=40)
    phone_mobile: str | None = Field(default=None, max_length=40)
    fax: str | None = Field(default=None, max_length=40)
