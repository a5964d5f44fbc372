"""Deterministic seed data and record builders for the sandbox CRM.

Everything here is generated from a ``random.Random(seed)`` and a fixed reference clock, so two
sandboxes created with the same seed serve byte-identical records. No Faker, no data files: the
word lists below are small on purpose and every email/phone/card value is reserved for testing
(``example.com``/``.test`` domains, ``555-01xx`` numbers, published test card numbers).

The records are deliberately *noisy*: several id forms, PII, payment data, audit blocks,
hypermedia links, ``null``/empty values, custom fields and odd legacy date formats. That noise is
what downstream tooling is supposed to trim, so do not "clean it up" here.
"""

from __future__ import annotations

import hashlib
import random
import string
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

Record = dict[str, Any]

DEFAULT_SEED = 1987
API_PREFIX = "/api/v1"
API_VERSION = "1.0.7"

# Seeded timestamps all lie before this instant, so output never depends on the wall clock.
REFERENCE_NOW = datetime(2024, 6, 28, 16, 30, 0, tzinfo=UTC)

N_COMPANIES = 60
N_CONTACTS = 300
N_DEALS = 400
N_ACTIVITIES = 800

# Each resource lives in its own id range (the legacy system did this), so an id alone hints at
# its type and an agent mixing up a contact id and a deal id gets a 404 instead of wrong data.
COMPANY_ID_START = 201
CONTACT_ID_START = 1001
DEAL_ID_START = 5001
ACTIVITY_ID_START = 20001

LEGACY_PREFIX = {"contact": "CNT", "company": "ACC", "deal": "OPP", "activity": "ACT"}
COLLECTION = {
    "contact": "contacts",
    "company": "companies",
    "deal": "deals",
    "activity": "activities",
}
EXTERNAL_REF_PREFIX = {"contact": "003", "company": "001", "deal": "006", "activity": "00T"}

CONTACT_LIFECYCLE_STAGES = ("lead", "mql", "sql", "opportunity", "customer", "churned")
CONTACT_STATUSES = ("active", "inactive", "bounced")
SYNC_STATUSES = ("SYNCED", "PENDING", "ERROR", "NEVER")
COMPANY_TIERS = ("STRATEGIC", "ENTERPRISE", "MID_MARKET", "SMB", "")
COMPANY_STATUSES = ("prospect", "customer", "former_customer", "partner")
DEAL_STAGES = ("open", "qualified", "proposal", "negotiation", "won", "lost")
DEAL_STATUSES = ("open", "won", "lost")
ACTIVITY_TYPES = ("call", "email", "meeting")
PREFERRED_CONTACT_METHODS = ("email", "phone", "mail", "")
STAGE_PROBABILITY = {
    "open": 10,
    "qualified": 25,
    "proposal": 50,
    "negotiation": 75,
    "won": 100,
    "lost": 0,
}
FORECAST_BY_STAGE = {
    "open": "pipeline",
    "qualified": "pipeline",
    "proposal": "best_case",
    "negotiation": "commit",
    "won": "closed",
    "lost": "omitted",
}
CURRENCY_TO_USD = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CAD": 0.73}

# --------------------------------------------------------------------------------------------
# Word lists
# --------------------------------------------------------------------------------------------

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Betty", "Mark",
    "Margaret", "Steven", "Sandra", "Paul", "Ashley", "Andrew", "Emily", "Joshua", "Donna",
    "Kenneth", "Michelle", "Kevin", "Carol", "Brian", "Amanda", "George", "Melissa", "Wei",
    "Priya", "Carlos", "Sofia", "Hiroshi", "Aisha", "Mateo", "Olga", "Kwame", "Ingrid", "Rahul",
    "Fatima", "Liam", "Chloe", "Noah", "Zoe", "Omar", "Lucia", "Dmitri", "Mei",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Okafor", "Patel", "Kowalski",
    "Schmidt", "Tanaka", "O'Brien", "Van der Berg", "Haddad", "Novak", "Lindqvist", "Moreau",
    "Ivanova", "Chen", "Mensah",
)  # fmt: skip
SALUTATION_CHOICES = ("", "Mr.", "Ms.", "Mrs.", "Dr.", "Prof.")
SALUTATIONS = ("", *SALUTATION_CHOICES)  # "" twice: most legacy rows have none
SUFFIXES = ("Jr.", "Sr.", "III", "PhD", "")
NICKNAMES = {
    "Robert": "Bob",
    "William": "Bill",
    "Richard": "Rick",
    "Elizabeth": "Liz",
    "Margaret": "Peggy",
    "Joseph": "Joe",
    "Michael": "Mike",
    "Jennifer": "Jen",
    "Thomas": "Tom",
    "Daniel": "Dan",
    "Matthew": "Matt",
    "Anthony": "Tony",
    "Steven": "Steve",
    "Kenneth": "Ken",
    "Patricia": "Pat",
    "Susan": "Sue",
}

COMPANY_WORDS = (
    "Northwind", "Blue Harbor", "Silver Oak", "Granite", "Redwood", "Summit", "Lakeside",
    "Ironclad", "Brightline", "Evergreen", "Pioneer", "Cobalt", "Riverstone", "Keystone",
    "Meridian", "Crescent", "Harborview", "Pinecrest", "Sterling", "Atlas", "Beacon", "Cedar",
    "Falcon", "Horizon", "Juniper", "Quarry", "Saltmarsh", "Tidewater",
)  # fmt: skip
# (noun, industry, SIC code, NAICS code)
COMPANY_KINDS = (
    ("Logistics", "Transportation", "4731", "488510"),
    ("Analytics", "Information Technology", "7374", "518210"),
    ("Manufacturing", "Industrial Machinery", "3569", "333999"),
    ("Health", "Healthcare", "8062", "622110"),
    ("Foods", "Food & Beverage", "2099", "311999"),
    ("Software", "Information Technology", "7372", "511210"),
    ("Energy", "Utilities", "4911", "221118"),
    ("Capital", "Financial Services", "6211", "523110"),
    ("Robotics", "Industrial Machinery", "3559", "333249"),
    ("Textiles", "Apparel", "2211", "313210"),
    ("Media", "Media & Entertainment", "4841", "516210"),
    ("Consulting", "Professional Services", "8742", "541611"),
    ("Labs", "Biotechnology", "2836", "325414"),
    ("Freight", "Transportation", "4213", "484121"),
    ("Dental", "Healthcare", "8021", "621210"),
    ("Hardware", "Retail", "5251", "444140"),
)
COMPANY_SUFFIXES = ("Inc.", "LLC", "Ltd.", "Corp.", "Co.", "GmbH", "Group", "")

# (city, state, zip prefix, area code, IANA timezone, lat, lng)
CITIES = (
    ("Springfield", "IL", "627", "217", "America/Chicago", 39.78, -89.65),
    ("Portland", "OR", "972", "503", "America/Los_Angeles", 45.52, -122.68),
    ("Austin", "TX", "787", "512", "America/Chicago", 30.27, -97.74),
    ("Boston", "MA", "021", "617", "America/New_York", 42.36, -71.06),
    ("Denver", "CO", "802", "303", "America/Denver", 39.74, -104.99),
    ("Seattle", "WA", "981", "206", "America/Los_Angeles", 47.61, -122.33),
    ("Columbus", "OH", "432", "614", "America/New_York", 39.96, -83.00),
    ("Raleigh", "NC", "276", "919", "America/New_York", 35.78, -78.64),
    ("Phoenix", "AZ", "850", "602", "America/Phoenix", 33.45, -112.07),
    ("Madison", "WI", "537", "608", "America/Chicago", 43.07, -89.40),
    ("Burlington", "VT", "054", "802", "America/New_York", 44.48, -73.21),
    ("Boise", "ID", "837", "208", "America/Boise", 43.62, -116.20),
    ("Savannah", "GA", "314", "912", "America/New_York", 32.08, -81.09),
    ("Omaha", "NE", "681", "402", "America/Chicago", 41.26, -95.93),
    ("Albany", "NY", "122", "518", "America/New_York", 42.65, -73.76),
    ("Sacramento", "CA", "958", "916", "America/Los_Angeles", 38.58, -121.49),
    ("Santa Fe", "NM", "875", "505", "America/Denver", 35.69, -105.94),
    ("Richmond", "VA", "232", "804", "America/New_York", 37.54, -77.44),
)
STREETS = (
    "Main", "Oak", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Pine",
    "Sunset", "Ridge", "Mill", "Church", "River", "Highland", "Chestnut", "Walnut",
)  # fmt: skip
STREET_TYPES = ("St", "Ave", "Blvd", "Rd", "Ln", "Dr", "Way", "Street", "Avenue")
STREET2 = ("Suite 100", "Suite 400", "Apt 3B", "Floor 7", "Unit 12", "PO Box 881", "", "", None)
COUNTRY_SPELLINGS = ("US", "US", "US", "USA", "United States", "U.S.A.")

JOB_TITLES = (
    "VP of Sales", "Procurement Manager", "CTO", "Office Manager", "Operations Director",
    "IT Administrator", "Chief Financial Officer", "Purchasing Agent", "Marketing Lead",
    "Plant Manager", "Head of Partnerships", "Account Payable Clerk", "CEO", "Engineer II",
    "Buyer", "Facilities Coordinator", "Data Analyst", "Controller",
)  # fmt: skip
DEPARTMENTS = ("Sales", "Finance", "IT", "Operations", "Procurement", "Marketing", "Executive", "")
LEAD_SOURCES = ("Web", "Referral", "Trade Show", "Cold Call", "Partner", "Webinar", "Import", "")
TAGS = ("vip", "newsletter", "churn-risk", "q3-campaign", "partner", "legacy-import", "renewal")
EVENTS = ("Trade Show 2019", "the regional expo", "a partner webinar", "DreamConf", "SaaStr")
COMPETITORS = ("Initrode CRM", "Globex Sales Cloud", "Vandelay Pipeline", "Spreadsheets")
LOST_REASONS = ("Price", "Went with competitor", "No budget", "Timing", "No decision", "")
NEXT_STEPS = ("Send proposal", "Schedule demo", "Legal review", "Follow up after Q3", "", "")

# (sku, description, list price)
PRODUCTS = (
    ("ACM-CRM-SEAT", "CRM Seat (annual)", 480.0),
    ("ACM-SUP-PREM", "Premium Support", 12000.0),
    ("ACM-IMPL", "Implementation Services", 25000.0),
    ("ACM-INT-ERP", "ERP Connector", 8000.0),
    ("ACM-TRN-DAY", "On-site Training Day", 2500.0),
    ("ACM-STOR-1T", "Extra Storage 1TB", 1200.0),
)

# Sales reps own records; the sandbox login user and the API-key "integration user" are also
# users so that records created through the API get a believable owner/audit trail.
SALES_REPS = (
    (9001, "jdoe", "Jane Doe"),
    (9002, "bsmith", "Bill Smith"),
    (9003, "mgarcia", "Maria Garcia"),
    (9004, "tchen", "Tom Chen"),
    (9005, "akowalski", "Anna Kowalski"),
    (9006, "rpatel", "Raj Patel"),
    (9007, "lmoreau", "Lea Moreau"),
    (9008, "kokafor", "Kelechi Okafor"),
)
API_INTEGRATION_USER = (9999, "api_integration", "API Integration")
SANDBOX_USER_ID = 9100
AUDIT_ACTORS = ("migration", "SYSTEM", "import_bot", *(rep[1] for rep in SALES_REPS))

# Well-known, Luhn-valid test card numbers published by payment processors (never real cards).
TEST_CARDS = (
    ("VISA", "4111111111111111"),
    ("VISA", "4012888888881881"),
    ("VISA", "4242424242424242"),
    ("MASTERCARD", "5555555555554444"),
    ("MASTERCARD", "5105105105105100"),
    ("AMEX", "378282246310005"),
    ("AMEX", "371449635398431"),
    ("DISCOVER", "6011111111111117"),
    ("JCB", "3530111333300000"),
)
# ABA routing number and account number used by payment test environments.
TEST_BANK_ACCOUNTS = (
    ("First Test Bank", "110000000", "000123456789"),
    ("Example Savings & Loan", "011000015", "000111111116"),
)

NOTES_TEMPLATES = (
    "<p>Met at <b>{event}</b>. Interested in <i>{product}</i>.</p>",
    "<div>Called re: renewal&nbsp;&mdash; asked for pricing.<br/>Follow up in Q{quarter}.</div>",
    "<p></p>",
    "",
    "<ul><li>Decision maker: {yesno}</li><li>Budget: ${budget}k</li></ul>",
    '<p style="color:#c00">DO NOT CALL before 10am &lt;local time&gt;</p>',
    "<table><tr><td>Imported from Siebel</td><td>{date}</td></tr></table>",
    "<p>Prefers email. <a href='mailto:{email}'>{email}</a></p>",
    "<div><br></div>",
)
CALL_SUBJECTS = (
    "Intro call",
    "Follow-up call",
    "Pricing discussion",
    "Support escalation",
    "Renewal check-in",
    "Voicemail",
)
EMAIL_SUBJECTS = (
    "RE: Proposal",
    "Quote #{n}",
    "Fwd: Contract redlines",
    "Intro",
    "Meeting recap",
    "RE: RE: Invoice {n}",
)
MEETING_SUBJECTS = (
    "Quarterly business review",
    "Product demo",
    "Onsite workshop",
    "Contract negotiation",
    "Kickoff",
)
ACTIVITY_OUTCOMES = {
    "call": ("connected", "left_voicemail", "no_answer", "wrong_number"),
    "email": ("sent", "replied", "bounced"),
    "meeting": ("held", "no_show", "rescheduled"),
}
ACTIVITY_NOTES = (
    "Discussed timeline and budget. Will send a revised quote.",
    "No answer, left a message with the assistant.",
    "Customer raised concerns about the data migration.",
    "Agreed on next steps; legal to review the MSA.",
    "",
)
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


# --------------------------------------------------------------------------------------------
# Formatting helpers (the legacy system used a different date format almost everywhere)
# --------------------------------------------------------------------------------------------


def iso_z(moment: datetime) -> str:
    """RFC 3339 UTC timestamp, e.g. ``2024-03-01T09:30:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def legacy_space_timestamp(moment: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS`` without a zone (the legacy DB's native format)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def compact_timestamp(moment: datetime) -> str:
    """Basic ISO 8601 without separators, e.g. ``20240301T093000``."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S")


def millis_offset_timestamp(moment: datetime) -> str:
    """Java-style ``2024-03-01T09:30:00.000+0000``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def oracle_date(day: date) -> str:
    """Oracle ``DD-MON-YYYY``, e.g. ``07-MAR-2015`` (locale independent)."""
    return f"{day.day:02d}-{MONTHS[day.month - 1]}-{day.year}"


def us_date(day: date) -> str:
    """US ``MM/DD/YYYY``."""
    return day.strftime("%m/%d/%Y")


def luhn_valid(number: str) -> bool:
    """Return True if ``number`` (digits only) passes the Luhn checksum."""
    if not number.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def make_etag(object_type: str, record_id: int, version: int) -> str:
    """Weak ETag derived from identity and version, so it changes on every update."""
    digest = hashlib.sha1(f"{object_type}:{record_id}:{version}".encode()).hexdigest()
    return f'W/"{digest[:16]}"'


def link(href: str, method: str = "GET") -> Record:
    """A hypermedia link object as the legacy API renders it."""
    return {"href": f"{API_PREFIX}{href}", "method": method}


def slugify(text: str) -> str:
    """Lower-case ``text`` and keep only ``[a-z0-9-]``."""
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in text.lower())
    return "-".join(part for part in cleaned.split("-") if part)


def audit_block(
    object_type: str,
    record_id: int,
    *,
    created: datetime,
    created_by: str,
    modified: datetime,
    modified_by: str,
    version: int,
) -> Record:
    """The ``audit`` block every record carries (mixed date formats are intentional)."""
    return {
        "created_at": iso_z(created),
        "created_by": created_by,
        "modified_at": legacy_space_timestamp(modified),
        "modified_by": modified_by,
        "version": version,
        "etag": make_etag(object_type, record_id, version),
        "source_system": "SIEBEL-7" if version < 3 else "ACME-CRM",
    }


def touch(record: Record, *, now: datetime, actor: str) -> None:
    """Bump a record's audit block after a modification."""
    audit = record["audit"]
    audit["version"] += 1
    audit["modified_at"] = legacy_space_timestamp(now)
    audit["modified_by"] = actor
    audit["etag"] = make_etag(record["object_type"], record["id"], audit["version"])
    audit["source_system"] = "ACME-CRM"


def empty_address(address_type: str = "work") -> Record:
    """A postal address with every field present but unset."""
    return {
        "street1": None,
        "street2": None,
        "city": None,
        "state": None,
        "postal_code": None,
        "country": None,
        "address_type": address_type,
        "is_verified": False,
        "geo": None,
    }


def empty_custom_fields() -> Record:
    """``cf_001`` .. ``cf_012`` all unset."""
    return {f"cf_{n:03d}": None for n in range(1, 13)}


def empty_social() -> Record:
    """Social profile block with every network unset."""
    return {"linkedin_url": None, "twitter_handle": None, "facebook_url": None}


# --------------------------------------------------------------------------------------------
# Record skeletons: one place defines every field (and its order) for each resource, so seeded
# records and records created through the API always have exactly the same shape.
# --------------------------------------------------------------------------------------------


def _base(object_type: str, record_id: int, legacy_id: str) -> Record:
    return {
        "id": record_id,
        "legacy_id": legacy_id,
        "external_ref": None,
        "object_type": object_type,
    }


def _trailer(object_type: str, record_id: int, *, now: datetime, actor: str) -> Record:
    return {
        "custom_fields": empty_custom_fields(),
        "is_deleted": False,
        "sync_status": "NEVER",
        "sync_error": None,
        "audit": audit_block(
            object_type,
            record_id,
            created=now,
            created_by=actor,
            modified=now,
            modified_by=actor,
            version=1,
        ),
        "_links": {},
    }


def contact_skeleton(record_id: int, legacy_id: str, *, now: datetime, actor: str) -> Record:
    """A contact with every documented field set to its 'unset' value."""
    return {
        **_base("contact", record_id, legacy_id),
        "salutation": "",
        "first_name": "",
        "middle_name": None,
        "last_name": "",
        "suffix": None,
        "full_name": "",
        "display_name": "",
        "nickname": None,
        "email": "",
        "secondary_email": None,
        "email_opt_in": "",
        "phone": None,
        "phone_ext": None,
        "mobile": None,
        "fax": None,
        "date_of_birth": None,
        "gender": "",
        "job_title": None,
        "department": None,
        "company_id": None,
        "company_name": None,
        "reports_to_id": None,
        "address": empty_address("work"),
        "mailing_address": None,
        "billing": None,
        "lifecycle_stage": "lead",
        "lead_source": None,
        "status": "active",
        "owner_id": API_INTEGRATION_USER[0],
        "owner_name": API_INTEGRATION_USER[2],
        "score": 0,
        "rating": None,
        "tags": [],
        "do_not_call": False,
        "preferred_contact_method": "",
        "language": "en-US",
        "timezone": None,
        "last_contacted": None,
        "social": empty_social(),
        "attachments": [],
        "notes_html": "",
        **_trailer("contact", record_id, now=now, actor=actor),
    }


def company_skeleton(record_id: int, legacy_id: str, *, now: datetime, actor: str) -> Record:
    """A company with every documented field set to its 'unset' value."""
    return {
        **_base("company", record_id, legacy_id),
        "name": "",
        "legal_name": None,
        "dba": None,
        "domain": None,
        "website": None,
        "email": None,
        "phone": None,
        "fax": None,
        "industry": None,
        "sic_code": None,
        "naics_code": None,
        "employee_count": None,
        "employee_range": "",
        "annual_revenue": None,
        "revenue_currency": "USD",
        "description": None,
        "billing_address": empty_address("billing"),
        "shipping_address": None,
        "parent_company_id": None,
        "owner_id": API_INTEGRATION_USER[0],
        "owner_name": API_INTEGRATION_USER[2],
        "tier": "",
        "status": "prospect",
        "customer_since": None,
        "fiscal_year_end": "12/31",
        "tax_id": None,
        "duns_number": None,
        "billing": None,
        "contact_count": 0,
        "open_deal_count": 0,
        "tags": [],
        "social": empty_social(),
        "logo_url": None,
        "ticker": None,
        "notes_html": "",
        **_trailer("company", record_id, now=now, actor=actor),
    }


def deal_skeleton(record_id: int, legacy_id: str, *, now: datetime, actor: str) -> Record:
    """A deal with every documented field set to its 'unset' value."""
    return {
        **_base("deal", record_id, legacy_id),
        "name": "",
        "description": None,
        "contact_id": None,
        "contact_name": None,
        "company_id": None,
        "company_name": None,
        "owner_id": API_INTEGRATION_USER[0],
        "owner_name": API_INTEGRATION_USER[2],
        "pipeline": "default",
        "stage": "open",
        "status": "open",
        "is_closed": False,
        "is_won": False,
        "probability": STAGE_PROBABILITY["open"],
        "amount": "0.00",
        "currency": "USD",
        "amount_usd": 0.0,
        "expected_close_date": None,
        "closed_at": None,
        "lost_reason": None,
        "next_step": "",
        "lead_source": None,
        "deal_type": "New Business",
        "forecast_category": "pipeline",
        "days_in_stage": 0,
        "line_items": [],
        "competitors": [],
        "stage_history": [],
        "tags": [],
        "notes_html": "",
        **_trailer("deal", record_id, now=now, actor=actor),
    }


def activity_skeleton(record_id: int, legacy_id: str, *, now: datetime, actor: str) -> Record:
    """An activity with every documented field set to its 'unset' value."""
    return {
        **_base("activity", record_id, legacy_id),
        "type": "call",
        "status": "completed",
        "subject": "",
        "notes": None,
        "notes_html": "",
        "occurred_at": iso_z(now),
        "duration_minutes": None,
        "direction": None,
        "outcome": None,
        "contact_id": 0,
        "contact_name": "",
        "company_id": None,
        "deal_id": None,
        "owner_id": API_INTEGRATION_USER[0],
        "owner_name": API_INTEGRATION_USER[2],
        "attendees": [],
        "location": None,
        "email_message_id": None,
        "source": "api",
        "tags": [],
        **_trailer("activity", record_id, now=now, actor=actor),
    }


# --------------------------------------------------------------------------------------------
# Derived fields: recomputed whenever a record changes so denormalised copies stay consistent.
# --------------------------------------------------------------------------------------------


def refresh_contact(contact: Record, company: Record | None) -> None:
    """Recompute a contact's name variants, company name and links."""
    parts = (contact["first_name"], contact["middle_name"], contact["last_name"])
    contact["full_name"] = " ".join(part for part in parts if part)
    contact["display_name"] = f"{contact['last_name'].upper()}, {contact['first_name']}"
    contact["company_id"] = company["id"] if company else None
    contact["company_name"] = company["name"] if company else None
    cid = contact["id"]
    contact["_links"] = {
        "self": link(f"/contacts/{cid}"),
        "company": link(f"/companies/{company['id']}") if company else None,
        "deals": link(f"/contacts/{cid}/deals"),
        "activities": link(f"/contacts/{cid}/activities"),
        "update": link(f"/contacts/{cid}", "PUT"),
        "delete": link(f"/contacts/{cid}", "DELETE"),
    }


def refresh_company(company: Record) -> None:
    """Recompute a company's links."""
    cid = company["id"]
    parent = company["parent_company_id"]
    company["_links"] = {
        "self": link(f"/companies/{cid}"),
        "contacts": link(f"/companies/{cid}/contacts"),
        "parent": link(f"/companies/{parent}") if parent else None,
    }


def refresh_deal(deal: Record) -> None:
    """Recompute a deal's status flags and links after a stage change."""
    stage = deal["stage"]
    deal["status"] = stage if stage in ("won", "lost") else "open"
    deal["is_closed"] = deal["status"] != "open"
    deal["is_won"] = stage == "won"
    deal["forecast_category"] = FORECAST_BY_STAGE[stage]
    did = deal["id"]
    deal["_links"] = {
        "self": link(f"/deals/{did}"),
        "contact": link(f"/contacts/{deal['contact_id']}") if deal["contact_id"] else None,
        "company": link(f"/companies/{deal['company_id']}") if deal["company_id"] else None,
        "stage": link(f"/deals/{did}/stage", "PUT"),
    }


def refresh_activity(activity: Record) -> None:
    """Recompute an activity's links."""
    aid = activity["id"]
    activity["_links"] = {
        "self": link(f"/activities/{aid}"),
        "contact": link(f"/contacts/{activity['contact_id']}"),
        "deal": link(f"/deals/{activity['deal_id']}") if activity["deal_id"] else None,
    }


# --------------------------------------------------------------------------------------------
# Seeding
# --------------------------------------------------------------------------------------------


@dataclass
class SeedData:
    """The generated dataset: records keyed by id, in id order."""

    companies: dict[int, Record] = field(default_factory=dict)
    contacts: dict[int, Record] = field(default_factory=dict)
    deals: dict[int, Record] = field(default_factory=dict)
    activities: dict[int, Record] = field(default_factory=dict)


class LegacyIdAllocator:
    """Hands out unique, random-looking legacy ids like ``CNT-482913``."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def allocate(self, object_type: str) -> str:
        """Return a fresh legacy id for ``object_type``."""
        prefix = LEGACY_PREFIX[object_type]
        while True:
            candidate = f"{prefix}-{self._rng.randint(100000, 999999)}"
            if candidate not in self._used:
                self._used.add(candidate)
                return candidate

    def reserve(self, legacy_id: str) -> None:
        """Mark ``legacy_id`` as taken."""
        self._used.add(legacy_id)


class _Seeder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.legacy = LegacyIdAllocator(self.rng)
        self.data = SeedData()
        self.emails: set[str] = set()

    # -- small random helpers -----------------------------------------------------------------

    def moment(self, start: datetime, end: datetime = REFERENCE_NOW) -> datetime:
        span = int((end - start).total_seconds())
        return start + timedelta(seconds=self.rng.randint(0, max(span, 0)))

    def external_ref(self, object_type: str) -> str | None:
        roll = self.rng.random()
        if roll < 0.5:
            alphabet = string.ascii_letters + string.digits
            tail = "".join(self.rng.choice(alphabet) for _ in range(12))
            return f"SF-{EXTERNAL_REF_PREFIX[object_type]}{tail}"
        return "" if roll < 0.75 else None

    def phone(self, area: str) -> str:
        line = f"01{self.rng.randint(0, 99):02d}"  # 555-0100..0199 are reserved fictional
        style = self.rng.randrange(4)
        if style == 0:
            return f"+1-{area}-555-{line}"
        if style == 1:
            return f"({area}) 555-{line}"
        if style == 2:
            return f"{area}.555.{line}"
        return f"+1 {area} 555 {line}"

    def address(self, address_type: str) -> tuple[Record, tuple[Any, ...]]:
        city = self.rng.choice(CITIES)
        name, state, zip_prefix, _area, _tz, lat, lng = city
        geo = None
        if self.rng.random() < 0.6:
            geo = {
                "lat": round(lat + self.rng.uniform(-0.05, 0.05), 5),
                "lng": round(lng + self.rng.uniform(-0.05, 0.05), 5),
            }
        street = (
            f"{self.rng.randint(10, 9999)} {self.rng.choice(STREETS)} "
            f"{self.rng.choice(STREET_TYPES)}"
        )
        record = {
            "street1": street,
            "street2": self.rng.choice(STREET2),
            "city": name if self.rng.random() > 0.05 else name.upper(),
            "state": state,
            "postal_code": f"{zip_prefix}{self.rng.randint(0, 99):02d}",
            "country": self.rng.choice(COUNTRY_SPELLINGS),
            "address_type": address_type,
            "is_verified": self.rng.random() < 0.4,
            "geo": geo,
        }
        return record, city

    def custom_fields(self) -> Record:
        rng = self.rng
        fields = empty_custom_fields()
        fields["cf_001"] = rng.choice(("NA-EAST", "NA-WEST", "EMEA", "APAC", "", None))
        fields["cf_002"] = rng.choice((f"SEG-{rng.randint(1, 12):02d}", "", None))
        fields["cf_003"] = rng.choice(("Y", "N", "", None))
        fields["cf_004"] = rng.choice((rng.randint(0, 500), None, None))
        fields["cf_005"] = rng.choice((True, False, None))
        fields["cf_007"] = rng.choice(("", None, "see notes", "MIGRATED 2017"))
        fields["cf_010"] = rng.choice((None, None, round(rng.uniform(0, 100), 2)))
        return fields

    def audit(self, object_type: str, record_id: int, created: datetime) -> Record:
        modified = self.moment(created)
        return audit_block(
            object_type,
            record_id,
            created=created,
            created_by=self.rng.choice(AUDIT_ACTORS),
            modified=modified,
            modified_by=self.rng.choice(AUDIT_ACTORS),
            version=self.rng.randint(1, 14),
        )

    def sync(self, record: Record) -> None:
        status = self.rng.choices(SYNC_STATUSES, weights=(80, 10, 5, 5))[0]
        record["sync_status"] = status
        if status == "ERROR":
            record["sync_error"] = self.rng.choice(
                ("E1023: remote record locked", "E2001: field 'phone' too long", "timeout")
            )

    def notes_html(self, email: str | None = None) -> str:
        template = self.rng.choice(NOTES_TEMPLATES)
        return template.format(
            event=self.rng.choice(EVENTS),
            product=self.rng.choice(PRODUCTS)[1],
            quarter=self.rng.randint(1, 4),
            yesno=self.rng.choice(("yes", "no", "unknown")),
            budget=self.rng.randint(5, 500),
            date=us_date(self.moment(datetime(2012, 1, 1, tzinfo=UTC)).date()),
            email=email or "info@example.com",
        )

    def tags(self) -> list[str]:
        if self.rng.random() < 0.6:
            return []
        return sorted(self.rng.sample(TAGS, self.rng.randint(1, 3)))

    def billing(self, holder: str, email: str | None, weights: tuple[int, int, int, int]) -> Any:
        kind = self.rng.choices(("card", "bank", "invoice", "none"), weights=weights)[0]
        if kind == "none":
            return None
        instrument: Record | None = None
        payment_method = "invoice"
        if kind == "card":
            brand, number = self.rng.choice(TEST_CARDS)
            payment_method = "card"
            instrument = {
                "kind": "card",
                "brand": brand,
                "number": number,
                "last4": number[-4:],
                "exp": f"{self.rng.randint(1, 12):02d}/{self.rng.randint(23, 31)}",
                "holder_name": holder.upper(),
                "cvv_on_file": self.rng.random() < 0.3,
            }
        elif kind == "bank":
            bank, routing, account = self.rng.choice(TEST_BANK_ACCOUNTS)
            payment_method = "ach"
            instrument = {
                "kind": "bank_account",
                "bank_name": bank,
                "routing_number": routing,
                "account_number": account,
                "account_type": self.rng.choice(("checking", "savings")),
                "holder_name": holder,
            }
        return {
            "payment_method": payment_method,
            "currency": self.rng.choice(("USD", "USD", "USD", "EUR", "CAD")),
            "billing_email": email if self.rng.random() < 0.5 else None,
            "payment_terms": self.rng.choice(("NET30", "NET45", "NET60", "DUE_ON_RECEIPT", "")),
            "tax_exempt": self.rng.random() < 0.1,
            "instrument": instrument,
        }

    def unique_email(self, local: str, domain: str) -> str:
        local = "".join(ch for ch in local.lower() if ch.isalnum() or ch in "._-")
        candidate = f"{local}@{domain}"
        counter = 2
        while candidate in self.emails:
            candidate = f"{local}{counter}@{domain}"
            counter += 1
        self.emails.add(candidate)
        return candidate

    # -- resources ----------------------------------------------------------------------------

    def companies(self) -> None:
        rng = self.rng
        names: set[str] = set()
        for offset in range(N_COMPANIES):
            cid = COMPANY_ID_START + offset
            while True:
                word = rng.choice(COMPANY_WORDS)
                noun, industry, sic, naics = rng.choice(COMPANY_KINDS)
                base_name = f"{word} {noun}"
                if base_name not in names:
                    names.add(base_name)
                    break
            suffix = rng.choice(COMPANY_SUFFIXES)
            created = self.moment(datetime(2011, 1, 1, tzinfo=UTC))
            company = company_skeleton(
                cid, self.legacy.allocate("company"), now=created, actor="migration"
            )
            address, city = self.address("billing")
            domain = f"{slugify(base_name)}.test"
            rep = rng.choice(SALES_REPS)
            employees = rng.choice(
                (None, rng.randint(3, 40), rng.randint(41, 900), rng.randint(901, 25000))
            )
            status = rng.choices(COMPANY_STATUSES, weights=(30, 50, 12, 8))[0]
            company.update(
                {
                    "external_ref": self.external_ref("company"),
                    "name": base_name,
                    "legal_name": f"{base_name} {suffix}".strip() if rng.random() < 0.8 else None,
                    "dba": rng.choice((None, None, "", f"{word} {noun[:3].upper()}")),
                    "domain": domain,
                    "website": rng.choice((f"https://www.{domain}", f"http://{domain}/", None)),
                    "email": rng.choice((f"info@{domain}", f"sales@{domain}", None)),
                    "phone": self.phone(city[3]),
                    "fax": rng.choice((None, "", self.phone(city[3]))),
                    "industry": industry if rng.random() < 0.9 else None,
                    "sic_code": sic,
                    "naics_code": naics if rng.random() < 0.7 else None,
                    "employee_count": employees,
                    "employee_range": employee_range(employees),
                    "annual_revenue": rng.choice(
                        (None, float(rng.randint(2, 9000)) * 100000.0, 0.0)
                    ),
                    "revenue_currency": rng.choice(("USD", "USD", "EUR", "GBP")),
                    "description": rng.choice(
                        (None, "", f"{industry} company headquartered in {city[0]}, {city[1]}.")
                    ),
                    "billing_address": address,
                    "shipping_address": self.address("shipping")[0] if rng.random() < 0.3 else None,
                    "owner_id": rep[0],
                    "owner_name": rep[2],
                    "tier": rng.choice(COMPANY_TIERS),
                    "status": status,
                    "customer_since": (
                        oracle_date(self.moment(datetime(2005, 1, 1, tzinfo=UTC)).date())
                        if status in ("customer", "former_customer")
                        else None
                    ),
                    "fiscal_year_end": rng.choice(("12/31", "12/31", "06/30", "03/31", "")),
                    # 00- prefixed EINs are never issued, which keeps these obviously fake.
                    "tax_id": rng.choice((f"00-{rng.randint(1000000, 9999999)}", None)),
                    "duns_number": rng.choice((f"{rng.randint(0, 999999999):09d}", None, "")),
                    "billing": self.billing(
                        f"{base_name} {suffix}".strip(), f"ap@{domain}", (50, 20, 15, 15)
                    ),
                    "tags": self.tags(),
                    "social": {
                        "linkedin_url": rng.choice(
                            (f"https://www.linkedin.example/company/{slugify(base_name)}", None)
                        ),
                        "twitter_handle": rng.choice((f"@{slugify(word)}_{noun.lower()}", None)),
                        "facebook_url": None,
                    },
                    "logo_url": rng.choice((None, f"https://cdn.{domain}/logo.png")),
                    "ticker": rng.choice((None, None, None, noun[:2].upper() + word[:2].upper())),
                    "notes_html": self.notes_html(),
                    "custom_fields": self.custom_fields(),
                    "audit": self.audit("company", cid, created),
                }
            )
            self.sync(company)
            self.data.companies[cid] = company
        # A few subsidiaries, to make parent links (and nulls) show up.
        ids = list(self.data.companies)
        for cid in rng.sample(ids, 6):
            parent = rng.choice(ids)
            if parent != cid:
                self.data.companies[cid]["parent_company_id"] = parent
        for company in self.data.companies.values():
            refresh_company(company)

    def contacts(self) -> None:
        rng = self.rng
        company_ids = list(self.data.companies)
        for offset in range(N_CONTACTS):
            cid = CONTACT_ID_START + offset
            first = rng.choice(FIRST_NAMES)
            last = rng.choice(LAST_NAMES)
            company = self.data.companies[rng.choice(company_ids)] if rng.random() < 0.85 else None
            created = self.moment(datetime(2013, 1, 1, tzinfo=UTC))
            contact = contact_skeleton(
                cid, self.legacy.allocate("contact"), now=created, actor="migration"
            )
            address, city = self.address(rng.choice(("work", "home")))
            last_local = last.replace("'", "").replace(" ", "")
            if company:
                email = self.unique_email(f"{first[0]}{last_local}", company["domain"])
            else:
                email = self.unique_email(f"{first}.{last_local}", "example.com")
            rep = rng.choice(SALES_REPS)
            birthday = date(rng.randint(1950, 2001), rng.randint(1, 12), rng.randint(1, 28))
            contacted = self.moment(datetime(2019, 1, 1, tzinfo=UTC))
            last_contacted: Any = rng.choice(
                (compact_timestamp(contacted), int(contacted.timestamp()), None)
            )
            contact.update(
                {
                    "external_ref": self.external_ref("contact"),
                    "salutation": rng.choice(SALUTATIONS),
                    "first_name": first,
                    "middle_name": rng.choice((None, "", f"{rng.choice(string.ascii_uppercase)}.")),
                    "last_name": last,
                    "suffix": rng.choice((None, None, None, rng.choice(SUFFIXES))),
                    "nickname": NICKNAMES.get(first) if rng.random() < 0.5 else None,
                    "email": email,
                    "secondary_email": rng.choice(
                        (
                            None,
                            None,
                            "",
                            self.unique_email(f"{first}{rng.randint(1, 99)}", "example.com"),
                        )
                    ),
                    "email_opt_in": rng.choice(("Y", "N", "")),
                    "phone": self.phone(city[3]),
                    "phone_ext": rng.choice((None, "", str(rng.randint(100, 999)))),
                    "mobile": rng.choice((None, self.phone(city[3]))),
                    "fax": rng.choice((None, "")),
                    "date_of_birth": rng.choice((us_date(birthday), us_date(birthday), "", None)),
                    "gender": rng.choice(("M", "F", "U", "")),
                    "job_title": rng.choice((*JOB_TITLES, None)),
                    "department": rng.choice((*DEPARTMENTS, None)),
                    "address": address,
                    "mailing_address": self.address("mailing")[0] if rng.random() < 0.2 else None,
                    "billing": self.billing(f"{first} {last}", email, (30, 10, 5, 55)),
                    "lifecycle_stage": rng.choice(CONTACT_LIFECYCLE_STAGES),
                    "lead_source": rng.choice((*LEAD_SOURCES, None)),
                    "status": rng.choices(CONTACT_STATUSES, weights=(85, 10, 5))[0],
                    "owner_id": rep[0],
                    "owner_name": rep[2],
                    "score": rng.randint(0, 100),
                    "rating": rng.choice(("HOT", "WARM", "COLD", None, None)),
                    "tags": self.tags(),
                    "do_not_call": rng.random() < 0.1,
                    "preferred_contact_method": rng.choice(PREFERRED_CONTACT_METHODS),
                    "language": rng.choice(("en-US", "en-US", "en-GB", "es-MX", "fr-CA", "")),
                    "timezone": rng.choice((city[4], city[4], None)),
                    "last_contacted": last_contacted,
                    "social": {
                        "linkedin_url": rng.choice(
                            (None, f"https://www.linkedin.example/in/{slugify(first + last)}")
                        ),
                        "twitter_handle": rng.choice((None, None, f"@{first.lower()}{offset}")),
                        "facebook_url": None,
                    },
                    "attachments": self.attachments(created),
                    "notes_html": self.notes_html(email),
                    "custom_fields": self.custom_fields(),
                    "audit": self.audit("contact", cid, created),
                }
            )
            self.sync(contact)
            refresh_contact(contact, company)
            self.data.contacts[cid] = contact
        # Reporting lines only within the same company, as the legacy UI enforced.
        by_company: dict[int, list[Record]] = {}
        for contact in self.data.contacts.values():
            if contact["company_id"] is not None:
                by_company.setdefault(contact["company_id"], []).append(contact)
        for members in by_company.values():
            if len(members) > 1:
                boss = members[0]
                for member in members[1:]:
                    if rng.random() < 0.5:
                        member["reports_to_id"] = boss["id"]

    def attachments(self, created: datetime) -> list[Record]:
        if self.rng.random() < 0.85:
            return []
        name = self.rng.choice(("signed_nda.pdf", "business-card.jpg", "org chart (v3).xlsx"))
        return [
            {
                "file_id": f"fil_{self.rng.getrandbits(48):012x}",
                "filename": name,
                "content_type": {
                    "pdf": "application/pdf",
                    "jpg": "image/jpeg",
                    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                }[name.rsplit(".", 1)[1]],
                "size_bytes": self.rng.randint(2000, 4000000),
                "uploaded_at": iso_z(self.moment(created)),
            }
        ]

    def deals(self) -> None:
        rng = self.rng
        contacts = list(self.data.contacts.values())
        for offset in range(N_DEALS):
            did = DEAL_ID_START + offset
            contact = rng.choice(contacts)
            company = self.data.companies.get(contact["company_id"] or -1)
            stage = rng.choices(DEAL_STAGES, weights=(20, 15, 15, 10, 25, 15))[0]
            created = self.moment(datetime(2018, 1, 1, tzinfo=UTC))
            deal = deal_skeleton(did, self.legacy.allocate("deal"), now=created, actor="migration")
            rep = rng.choice(SALES_REPS)
            line_items = []
            for line_no in range(1, rng.choice((0, 0, 1, 2, 3)) + 1):
                sku, description, price = rng.choice(PRODUCTS)
                line_items.append(
                    {
                        "line_no": line_no,
                        "sku": sku,
                        "description": description,
                        "quantity": rng.randint(1, 50),
                        "unit_price": f"{price:.2f}",
                        "discount_pct": rng.choice((None, 0.0, 5.0, 12.5)),
                    }
                )
            amount = float(rng.randint(10, 2500) * 100)
            currency = rng.choice(("USD", "USD", "USD", "EUR", "GBP", "CAD"))
            history = []
            entered = created
            path = (
                DEAL_STAGES[: DEAL_STAGES.index(stage) + 1]
                if stage != "lost"
                else ("open", rng.choice(("open", "qualified", "proposal")), "lost")
            )
            for step in dict.fromkeys(path):
                history.append(
                    {
                        "stage": step,
                        "entered_at": iso_z(entered),
                        "changed_by": rng.choice(AUDIT_ACTORS),
                        "reason": None,
                    }
                )
                entered = self.moment(entered, min(entered + timedelta(days=90), REFERENCE_NOW))
            closed = stage in ("won", "lost")
            title_company = company["name"] if company else contact["full_name"]
            product = rng.choice(PRODUCTS)[1]
            deal.update(
                {
                    "external_ref": self.external_ref("deal"),
                    "name": f"{title_company} - {product}"
                    + rng.choice(("", "", " (renewal)", " FY24", " - DO NOT USE")),
                    "description": rng.choice((None, "", f"{product} for {title_company}.")),
                    "contact_id": contact["id"],
                    "contact_name": contact["full_name"],
                    "company_id": company["id"] if company else None,
                    "company_name": company["name"] if company else None,
                    "owner_id": rep[0],
                    "owner_name": rep[2],
                    "pipeline": rng.choice(("default", "default", "enterprise", "channel")),
                    "stage": stage,
                    "probability": STAGE_PROBABILITY[stage],
                    "amount": f"{amount:.2f}",
                    "currency": currency,
                    "amount_usd": round(amount * CURRENCY_TO_USD[currency], 2),
                    "expected_close_date": (
                        self.moment(created, REFERENCE_NOW + timedelta(days=200)).date().isoformat()
                        if rng.random() < 0.9
                        else None
                    ),
                    "closed_at": millis_offset_timestamp(self.moment(created)) if closed else None,
                    "lost_reason": rng.choice(LOST_REASONS) if stage == "lost" else None,
                    "next_step": "" if closed else rng.choice(NEXT_STEPS),
                    "lead_source": rng.choice((*LEAD_SOURCES, None)),
                    "deal_type": rng.choice(("New Business", "Renewal", "Upsell", "")),
                    "days_in_stage": rng.randint(0, 400),
                    "line_items": line_items,
                    "competitors": sorted(rng.sample(COMPETITORS, rng.choice((0, 0, 1, 2)))),
                    "stage_history": history,
                    "tags": self.tags(),
                    "notes_html": self.notes_html(),
                    "custom_fields": self.custom_fields(),
                    "audit": self.audit("deal", did, created),
                }
            )
            self.sync(deal)
            refresh_deal(deal)
            self.data.deals[did] = deal

    def activities(self) -> None:
        rng = self.rng
        contacts = list(self.data.contacts.values())
        deals_by_contact: dict[int, list[int]] = {}
        for deal in self.data.deals.values():
            deals_by_contact.setdefault(deal["contact_id"], []).append(deal["id"])
        for offset in range(N_ACTIVITIES):
            aid = ACTIVITY_ID_START + offset
            contact = rng.choice(contacts)
            kind = rng.choices(ACTIVITY_TYPES, weights=(40, 40, 20))[0]
            occurred = self.moment(datetime(2019, 1, 1, tzinfo=UTC))
            activity = activity_skeleton(
                aid, self.legacy.allocate("activity"), now=occurred, actor="migration"
            )
            rep = rng.choice(SALES_REPS)
            contact_deals = deals_by_contact.get(contact["id"], [])
            n = rng.randint(1000, 99999)
            if kind == "call":
                subject = rng.choice(CALL_SUBJECTS)
            elif kind == "email":
                subject = rng.choice(EMAIL_SUBJECTS).format(n=n)
            else:
                subject = rng.choice(MEETING_SUBJECTS)
            notes = rng.choice((*ACTIVITY_NOTES, None))
            activity.update(
                {
                    "external_ref": self.external_ref("activity"),
                    "type": kind,
                    "status": rng.choices(
                        ("completed", "scheduled", "cancelled"), weights=(85, 10, 5)
                    )[0],
                    "subject": subject,
                    "notes": notes,
                    "notes_html": f"<p>{notes}</p>" if notes else rng.choice(("", "<p></p>")),
                    "occurred_at": iso_z(occurred),
                    "duration_minutes": (
                        rng.choice((5, 15, 30, 45, 60, 90)) if kind != "email" else None
                    ),
                    "direction": rng.choice(("inbound", "outbound")) if kind != "meeting" else None,
                    "outcome": rng.choice((*ACTIVITY_OUTCOMES[kind], None)),
                    "contact_id": contact["id"],
                    "contact_name": contact["full_name"],
                    "company_id": contact["company_id"],
                    "deal_id": (
                        rng.choice(contact_deals) if contact_deals and rng.random() < 0.5 else None
                    ),
                    "owner_id": rep[0],
                    "owner_name": rep[2],
                    "attendees": (
                        sorted({contact["email"], f"{rep[1]}@acme-legacy.test"})
                        if kind == "meeting"
                        else []
                    ),
                    "location": (
                        rng.choice(("Zoom", "Customer site", "HQ Room 4B", None))
                        if kind == "meeting"
                        else None
                    ),
                    "email_message_id": (
                        f"<{rng.getrandbits(64):016x}@mail.example.com>"
                        if kind == "email"
                        else None
                    ),
                    "source": rng.choice(("manual", "api", "email_sync", "legacy_import")),
                    "tags": self.tags(),
                    "custom_fields": self.custom_fields(),
                    "audit": self.audit("activity", aid, occurred),
                }
            )
            self.sync(activity)
            refresh_activity(activity)
            self.data.activities[aid] = activity


def employee_range(count: int | None) -> str:
    """Bucket an employee count the way the legacy UI displayed it."""
    if count is None:
        return ""
    for upper, label in ((10, "1-10"), (50, "11-50"), (200, "51-200"), (1000, "201-1000")):
        if count <= upper:
            return label
    return "1000+"


def generate(seed: int = DEFAULT_SEED) -> tuple[SeedData, LegacyIdAllocator]:
    """Generate the full deterministic dataset for ``seed``.

    Returns the data and the legacy-id allocator (so ids created later through the API stay
    unique and deterministic too).
    """
    seeder = _Seeder(seed)
    seeder.companies()
    seeder.contacts()
    seeder.deals()
    seeder.activities()
    return seeder.data, seeder.legacy
