"""One Xero organisation's books: settings, contacts, invoices, payments and attachments."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from .xero_errors import NotFound, Rejected
from .xero_invoices import Invoice
from .xero_wire import ms_date

CURRENCY_NAMES = {"GBP": "British Pound", "USD": "United States Dollar", "EUR": "Euro",
                  "NZD": "New Zealand Dollar", "AUD": "Australian Dollar",
                  "CAD": "Canadian Dollar"}
PAYMENT_EXCEEDS = "Payment amount exceeds the amount outstanding on this document"


@dataclass
class Account:
    account_id: str
    code: str
    name: str
    type: str
    tax_type: str | None = None
    enable_payments: bool = False
    bank_account_number: str | None = None

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "AccountID": self.account_id, "Code": self.code, "Name": self.name,
            "Type": self.type, "Status": "ACTIVE", "TaxType": self.tax_type or "NONE",
            "EnablePaymentsToAccount": self.enable_payments,
            "Class": "ASSET" if self.type == "BANK" else "REVENUE",
        }
        if self.type == "BANK":
            out.update(BankAccountType="BANK", BankAccountNumber=self.bank_account_number or "",
                       CurrencyCode="GBP")
        return out

    @property
    def takes_payments(self) -> bool:
        return self.type == "BANK" or self.enable_payments


@dataclass
class TaxRate:
    tax_type: str
    name: str
    #: (component name, rate in percent, compound?)
    components: Sequence[tuple[str, Decimal, bool]]
    report_tax_type: str = "OUTPUT"

    @property
    def effective_rate(self) -> Decimal:
        """Simple components add up; a compound one also taxes the ones before it."""
        rate = Decimal("0")
        for _, component, compound in self.components:
            rate += component * (1 + rate / 100) if compound else component
        return rate

    def json(self) -> dict[str, Any]:
        return {
            "Name": self.name, "TaxType": self.tax_type, "Status": "ACTIVE",
            "ReportTaxType": self.report_tax_type, "CanApplyToRevenue": True,
            "CanApplyToAssets": True, "CanApplyToEquity": True, "CanApplyToExpenses": True,
            "CanApplyToLiabilities": True,
            "DisplayTaxRate": self.effective_rate, "EffectiveRate": self.effective_rate,
            "TaxComponents": [{"Name": n, "Rate": r, "IsCompound": c, "IsNonRecoverable": False}
                              for n, r, c in self.components],
        }


@dataclass
class Contact:
    contact_id: str
    name: str
    updated_at: datetime
    #: Every other field as the client sent it.
    fields: dict[str, Any] = field(default_factory=dict)
    is_customer: bool = False

    def json(self) -> dict[str, Any]:
        return {"ContactID": self.contact_id, "ContactStatus": "ACTIVE", "Name": self.name,
                "Addresses": [], "Phones": [], "ContactGroups": [], "ContactPersons": [],
                **self.fields,
                "UpdatedDateUTC": ms_date(self.updated_at), "IsSupplier": False,
                "IsCustomer": self.is_customer, "HasValidationErrors": False}


@dataclass
class Payment:
    payment_id: str
    invoice_id: str
    account_id: str
    date: dt.date
    amount: Decimal
    updated_at: datetime
    reference: str | None = None
    status: str = "AUTHORISED"
    currency_rate: Decimal = Decimal("1")


@dataclass
class Attachment:
    attachment_id: str
    invoice_id: str
    file_name: str
    mime_type: str
    content: bytes
    include_online: bool = False


@dataclass
class Books:
    """The state of one organisation (tenant)."""

    tenant_id: str
    name: str
    created_at: datetime
    base_currency: str = "GBP"
    currencies: list[str] = field(default_factory=lambda: ["GBP", "USD", "EUR"])
    accounts: list[Account] = field(default_factory=list)
    tax_rates: dict[str, TaxRate] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    payments: dict[str, Payment] = field(default_factory=dict)
    attachments: dict[str, Attachment] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.accounts:
            self.accounts = [
                Account(_id(), "200", "Sales", "REVENUE", tax_type="OUTPUT2"),
                Account(_id(), "260", "Other Revenue", "REVENUE", tax_type="OUTPUT2"),
                Account(_id(), "090", "Business Bank Account", "BANK", tax_type="NONE",
                        enable_payments=True, bank_account_number="12-3456-7890123-00"),
                Account(_id(), "860", "Rounding", "CURRLIAB", tax_type="NONE"),
            ]
        if not self.tax_rates:
            for rate in (
                TaxRate("OUTPUT2", "20% (VAT on Income)", [("VAT", Decimal("20.0000"), False)]),
                TaxRate("OUTPUT", "17.5% (VAT on Income)", [("VAT", Decimal("17.5000"), False)]),
                TaxRate("RROUTPUT", "5% (VAT on Income)", [("VAT", Decimal("5.0000"), False)]),
                TaxRate("ZERORATEDOUTPUT", "Zero Rated Income",
                        [("VAT", Decimal("0.0000"), False)], report_tax_type="OUTPUT"),
                TaxRate("NONE", "No VAT", [("No VAT", Decimal("0.0000"), False)],
                        report_tax_type="NONE"),
                TaxRate("TAX003", "VAT + Levy", [("VAT", Decimal("20.0000"), False),
                                                 ("Levy", Decimal("5.0000"), False)]),
            ):
                self.tax_rates[rate.tax_type] = rate

    # -- settings ------------------------------------------------------------------------------

    @property
    def accounts_by_code(self) -> dict[str, Account]:
        return {a.code: a for a in self.accounts}

    def organisation_json(self) -> dict[str, Any]:
        return {
            "OrganisationID": self.tenant_id, "APIKey": "", "Name": self.name,
            "LegalName": self.name, "PaysTax": True, "Version": "UK",
            "OrganisationType": "COMPANY", "BaseCurrency": self.base_currency,
            "CountryCode": "GB", "IsDemoCompany": False, "OrganisationStatus": "ACTIVE",
            "FinancialYearEndDay": 31, "FinancialYearEndMonth": 3,
            "SalesTaxBasis": "ACCRUALS", "SalesTaxPeriod": "QUARTERLY1",
            "DefaultSalesTax": "Tax Exclusive", "DefaultPurchasesTax": "Tax Exclusive",
            "CreatedDateUTC": ms_date(self.created_at), "OrganisationEntityType": "COMPANY",
            "Timezone": "GMTSTANDARDTIME", "ShortCode": "!keito", "Edition": "BUSINESS",
            "Class": "PREMIUM", "LineOfBusiness": "Consulting", "Addresses": [], "Phones": [],
            "ExternalLinks": [], "PaymentTerms": {},
        }

    def currencies_json(self) -> list[dict[str, Any]]:
        return [{"Code": c, "Description": CURRENCY_NAMES.get(c, c)} for c in self.currencies]

    # -- contacts ------------------------------------------------------------------------------

    def contact_by_name(self, name: str) -> Contact | None:
        wanted = name.strip().casefold()
        return next((c for c in self.contacts.values() if c.name.strip().casefold() == wanted),
                    None)

    def create_contact(self, element: Mapping[str, Any], *, now: datetime) -> Contact:
        name = element["Name"]
        if self.contact_by_name(name) is not None:
            raise Rejected(f"The contact name {name} is already assigned to another contact. "
                           "The contact name must be unique across all active contacts.")
        contact = Contact(_id(), name, now, _contact_fields(element))
        self.contacts[contact.contact_id] = contact
        return contact

    def update_contact(self, contact: Contact, element: Mapping[str, Any], *,
                       now: datetime) -> Contact:
        name = element.get("Name", contact.name)
        other = self.contact_by_name(name)
        if other is not None and other is not contact:
            raise Rejected(f"The contact name {name} is already assigned to another contact. "
                           "The contact name must be unique across all active contacts.")
        contact.name, contact.updated_at = name, now
        contact.fields.update(_contact_fields(element))
        return contact

    def contact_for_invoice(self, reference: Mapping[str, Any], *, now: datetime) -> str:
        """The ContactID an invoice's Contact names; a new name creates the contact."""
        if reference.get("ContactID"):
            contact = self.contacts.get(reference["ContactID"])
            if contact is None:
                raise Rejected("Contact could not be found: the ContactID "
                               f"{reference['ContactID']} does not exist")
        else:
            contact = self.contact_by_name(reference["Name"]) or self.create_contact(
                {"Name": reference["Name"]}, now=now)
        contact.is_customer = True
        return contact.contact_id

    def contact_summary(self, contact_id: str) -> dict[str, Any]:
        contact = self.contacts[contact_id]
        return {"ContactID": contact.contact_id, "Name": contact.name,
                "HasValidationErrors": False}

    # -- invoices ------------------------------------------------------------------------------

    def invoice_by_number(self, number: str) -> Invoice | None:
        return next((i for i in self.invoices.values()
                     if i.number == number and i.status != "DELETED"), None)

    def next_invoice_number(self) -> str:
        n = len(self.invoices) + 1
        while self.invoice_by_number(f"INV-{n:04d}") is not None:
            n += 1
        return f"INV-{n:04d}"

    def live_payments(self, invoice: Invoice) -> list[Payment]:
        return [p for pid in invoice.payment_ids
                if (p := self.payments[pid]).status == "AUTHORISED"]

    def amount_paid(self, invoice: Invoice) -> Decimal:
        return sum((p.amount for p in self.live_payments(invoice)), Decimal("0.00"))

    # -- payments ------------------------------------------------------------------------------

    def create_payment(self, element: Mapping[str, Any], *, now: datetime) -> Payment:
        ref = element["Invoice"]
        invoice = (self.invoices.get(ref["InvoiceID"]) if ref.get("InvoiceID")
                   else self.invoice_by_number(ref.get("InvoiceNumber", "")))
        if invoice is None:
            raise Rejected("Invoice could not be found")
        acc = element["Account"]
        account = next((a for a in self.accounts
                        if a.account_id == acc.get("AccountID") or a.code == acc.get("Code")),
                       None)
        if account is None:
            raise Rejected("Account could not be found")
        if not account.takes_payments:
            raise Rejected("Payments can only be made to or from a bank account or an account "
                           "with 'Enable payments to this account' selected")
        if invoice.status != "AUTHORISED":
            raise Rejected("Payments can only be made against Authorised documents")
        amount = Decimal(str(element["Amount"]))
        if amount <= 0:
            raise Rejected("Payment amount must be greater than zero")
        if amount > invoice.total - self.amount_paid(invoice):
            raise Rejected(PAYMENT_EXCEEDS)
        payment = Payment(
            payment_id=_id(), invoice_id=invoice.invoice_id, account_id=account.account_id,
            date=dt.date.fromisoformat(element["Date"]), amount=amount, updated_at=now,
            reference=element.get("Reference"),
            currency_rate=Decimal(str(element.get("CurrencyRate", 1))))
        self.payments[payment.payment_id] = payment
        invoice.payment_ids.append(payment.payment_id)
        if self.amount_paid(invoice) == invoice.total:
            invoice.status, invoice.fully_paid_on = "PAID", payment.date
        invoice.updated_at = now
        return payment

    def delete_payment(self, payment_id: str, *, now: datetime) -> Payment:
        payment = self.payments.get(payment_id)
        if payment is None:
            raise NotFound(payment_id)
        if payment.status == "DELETED":
            raise Rejected("Payment has already been deleted")
        payment.status, payment.updated_at = "DELETED", now
        invoice = self.invoices[payment.invoice_id]
        if invoice.status == "PAID":
            invoice.status, invoice.fully_paid_on = "AUTHORISED", None
        invoice.updated_at = now
        return payment

    def payment_summary(self, payment: Payment) -> dict[str, Any]:
        return {"PaymentID": payment.payment_id, "Date": ms_date(payment.date),
                "Amount": payment.amount, "Reference": payment.reference or "",
                "CurrencyRate": payment.currency_rate, "HasAccount": True,
                "HasValidationErrors": False}

    def payment_json(self, payment: Payment) -> dict[str, Any]:
        invoice = self.invoices[payment.invoice_id]
        account = next(a for a in self.accounts if a.account_id == payment.account_id)
        return {
            **self.payment_summary(payment),
            "BankAmount": payment.amount, "Status": payment.status,
            "PaymentType": "ACCRECPAYMENT", "IsReconciled": False,
            "UpdatedDateUTC": ms_date(payment.updated_at),
            "Account": {"AccountID": account.account_id, "Code": account.code},
            "Invoice": {"Type": invoice.type, "InvoiceID": invoice.invoice_id,
                        "InvoiceNumber": invoice.number,
                        "Contact": self.contact_summary(invoice.contact_id),
                        "CurrencyCode": invoice.currency_code},
        }

    # -- attachments ---------------------------------------------------------------------------

    def attach(self, invoice_id: str, file_name: str, content: bytes, *, mime_type: str,
               include_online: bool) -> Attachment:
        """Attach a file to an invoice; the same name again replaces the file."""
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            raise NotFound(invoice_id)
        if not content:
            raise Rejected("The attachment is empty")
        old = next((a for a in self.attachments.values()
                    if a.invoice_id == invoice_id and a.file_name == file_name), None)
        attachment = Attachment(old.attachment_id if old else _id(), invoice_id, file_name,
                                mime_type, content, include_online)
        self.attachments[attachment.attachment_id] = attachment
        invoice.has_attachments = True
        return attachment

    def attachments_of(self, invoice_id: str) -> list[Attachment]:
        return [a for a in self.attachments.values() if a.invoice_id == invoice_id]


def attachment_json(attachment: Attachment, api_url: str) -> dict[str, Any]:
    return {"AttachmentID": attachment.attachment_id, "FileName": attachment.file_name,
            "Url": f"{api_url}/Invoices/{attachment.invoice_id}/Attachments/"
                   f"{attachment.file_name}",
            "MimeType": attachment.mime_type, "ContentLength": len(attachment.content),
            "IncludeOnline": attachment.include_online}


def _contact_fields(element: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in element.items() if k not in ("ContactID", "Name")}


def _id() -> str:
    return str(uuid.uuid4())
