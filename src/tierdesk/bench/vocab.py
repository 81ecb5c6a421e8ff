"""Words for generated tickets: titles, descriptions, comments and notes by category.

Titles combine a subject and a symptom of one category, so that 2–3-word searches drawn from
real titles hit realistic numbers of tickets (a few to a few thousand per million).
"""

from __future__ import annotations

import random

# fmt: off
SUBJECTS: dict[str, tuple[str, ...]] = {
    "email": (
        "Outlook", "Shared mailbox", "Calendar invites", "Exchange mailbox", "Distribution list",
        "Mail on mobile", "Out-of-office reply",
    ),
    "vpn": (
        "VPN client", "Remote access VPN", "GlobalProtect", "VPN token", "Split tunnel",
    ),
    "network": (
        "Wi-Fi", "Network drive", "Office LAN", "Guest wireless", "DNS resolution", "Switch port",
        "Proxy",
    ),
    "firewall": (
        "Firewall rule", "Port 443", "Partner SFTP connection", "Web filter",
    ),
    "erp": (
        "ERP invoices screen", "ERP order entry", "Purchase orders", "ERP month-end close",
        "Goods receipt", "ERP report",
    ),
    "payroll": (
        "Payroll export", "Payslip PDF", "Payroll run", "Overtime import",
    ),
    "website": (
        "Public website", "Checkout page", "Product search", "Contact form", "Website images",
    ),
    "office": (
        "Excel", "Word templates", "PowerPoint", "Teams meeting", "OneDrive sync",
        "SharePoint site",
    ),
    "hardware": (
        "Laptop", "Docking station", "Monitor", "Keyboard", "Laptop battery", "Webcam", "Headset",
    ),
    "printing": (
        "Printer", "Badge printer", "Scanner", "Label printer", "Print queue",
    ),
    "operating-system": (
        "Windows update", "Blue screen", "macOS upgrade", "Disk encryption", "Login profile",
    ),
    "accounts": (
        "Password reset", "Account lockout", "MFA enrolment", "New starter accounts",
        "Leaver account", "Group membership",
    ),
    "identity": (
        "Single sign-on", "SAML login", "Directory sync", "Access review",
    ),
    "database": (
        "Reporting database", "Database backup", "Replication lag", "Nightly ETL job",
        "Database connection pool", "Table locks",
    ),
    "storage": (
        "File share quota", "Storage array", "Snapshot schedule", "NAS volume",
    ),
    "backup": (
        "Backup job", "Restore request", "Tape rotation", "Backup agent",
    ),
    "cloud": (
        "Kubernetes cluster", "Cloud VM", "Object storage bucket", "Container registry",
        "Autoscaling group",
    ),
    "telephony": (
        "Desk phone", "Softphone", "Call centre queue", "Voicemail", "Conference bridge",
    ),
    "architecture": (
        "Integration design", "API gateway", "Capacity plan", "Service mesh",
    ),
    "security": (
        "Phishing email", "Suspicious login", "Malware alert", "Lost laptop", "Ransomware warning",
        "Data leak report",
    ),
    "monitoring": (
        "CPU alert", "Disk space alert", "Latency alert", "Certificate expiry alert",
        "Heartbeat missing",
    ),
}
SYMPTOMS: dict[str, tuple[str, ...]] = {
    "email": (
        "keeps asking for password", "not syncing", "cannot send attachments",
        "shows disconnected", "very slow to open", "missing messages since this morning",
    ),
    "vpn": (
        "disconnects every few minutes", "cannot connect from home", "rejects my token",
        "very slow in the evening", "fails after update",
    ),
    "network": (
        "drops several times a day", "not reachable from the branch office",
        "very slow since Monday", "intermittent timeouts", "not working on floor 3",
    ),
    "firewall": (
        "blocks the new partner", "needs an exception", "rule change request",
        "times out for the supplier",
    ),
    "erp": (
        "very slow", "returns error 500", "shows wrong totals", "stuck in processing",
        "cannot be posted", "missing after the upgrade",
    ),
    "payroll": (
        "failed overnight", "shows wrong amounts", "missing for some employees",
        "cannot be downloaded",
    ),
    "website": (
        "returns error 502", "is very slow", "shows broken layout", "loses the basket",
        "shows outdated prices",
    ),
    "office": (
        "crashes on open", "cannot save files", "macro blocked", "sync conflict", "add-in missing",
    ),
    "hardware": (
        "does not power on", "screen flickers", "not charging", "replacement request",
        "new device request", "broken after travel",
    ),
    "printing": (
        "prints blank pages", "paper jam every job", "offline", "cannot scan to email",
        "driver missing",
    ),
    "operating-system": (
        "fails to install", "after restart", "loops on boot", "asks for recovery key",
        "very slow to log in",
    ),
    "accounts": (
        "needed urgently", "for the new team member", "not working", "locked again",
        "request for contractor",
    ),
    "identity": (
        "fails for the HR portal", "loops back to login", "missing users", "needs approval",
    ),
    "database": (
        "failed overnight", "running out of space", "very slow queries",
        "deadlocks during the day", "stuck since midnight",
    ),
    "storage": (
        "almost full", "volume offline", "snapshots failing", "quota increase request",
    ),
    "backup": (
        "failed last night", "needs a restore of yesterday", "agent not responding",
        "retention change request",
    ),
    "cloud": (
        "pods restarting", "nodes not ready", "costs spiking", "deployment stuck",
        "permission denied",
    ),
    "telephony": (
        "no dial tone", "calls drop after a minute", "echo on calls", "cannot transfer calls",
    ),
    "architecture": (
        "review requested", "design decision needed", "limits reached",
        "proposal for new integration",
    ),
    "security": (
        "reported by finance", "on a privileged account", "on the file server",
        "needs investigation", "from an external sender",
    ),
    "monitoring": (
        "on production database", "on the web cluster", "on the ERP host", "on the file server",
        "in the Frankfurt region",
    ),
}
PLACES = (
    "in the Berlin office", "in Munich", "for the finance team", "for the sales team",
    "after the weekend", "since the update", "for several users", "on the shop floor",
    "in the warehouse", "for remote staff",
)
OPENERS = (
    "Since this morning", "Since yesterday afternoon", "Several colleagues report that",
    "After the latest update", "Intermittently over the last days", "When working from home",
)
DETAILS = (
    "Restarting did not help.", "It worked fine last week.",
    "The error message says to contact the administrator.", "This blocks our month-end work.",
    "A screenshot is attached.", "Other users in the team see the same.",
    "Only happens on the wireless network.", "We tried clearing the cache.",
    "Please call me back on my mobile.", "This is urgent for a customer deadline.",
)
AGENT_REPLIES = (
    "Thanks for reporting this, we are looking into it.",
    "Could you send us a screenshot of the error?",
    "I have reset the configuration; please try again.",
    "We are working on this with the specialist team.",
    "A fix has been applied; can you confirm it works now?",
    "Please restart your device and let us know if the problem persists.",
)
INTERNAL_NOTES = (
    "Checked logs, nothing obvious on the client side.",
    "Same symptom as last month; see the linked problem.",
    "Waiting for the vendor's answer before changing anything.", "Reproduced on a test machine.",
    "Customer is a VIP; keep the manager informed.",
    "Root cause looks like an expired certificate.",
)
REQUESTER_REPLIES = (
    "Thanks, it works again.", "Still not working, same error.",
    "Here is the screenshot you asked for.",
    "I will be out of office tomorrow, please call my colleague.",
    "Any update on this? It is blocking us.",
)
ESCALATION_NOTES = (
    "Basic checks done (restart, cache, credentials). Logs attached; needs a specialist.",
    "Reproduced for three users; not a client issue.",
    "Error points at the server side; beyond first-line tools.",
    "Needs change rights we do not have at this tier.",
    "Customer impact growing, handing over with full notes.",
)
FIRST_NAMES = (
    "Alex", "Sam", "Jana", "Lukas", "Marta", "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Tariq",
    "Ulla", "Vera", "Wim", "Xenia", "Yusuf", "Zoe", "Anna", "Ben", "Carla", "David", "Eva",
    "Felix", "Greta", "Hugo", "Ida", "Jonas", "Kira",
)
LAST_NAMES = (
    "Meyer", "Schulz", "Novak", "Rossi", "Garcia", "Dubois", "Nowak", "Jensen", "Kowalski",
    "Silva", "Berg", "Fischer", "Weber", "Lang", "Costa", "Ivanova", "Klein", "Moreau", "Horvat",
    "Bauer", "Larsen", "Sato", "Okafor", "Haddad",
)
DEPARTMENTS = (
    "sales", "marketing", "logistics", "legal", "procurement", "engineering", "production",
    "research", "customer-care", "facilities", "quality", "treasury", "communications", "retail",
    "warehouse", "field-sales", "executive",
)
# fmt: on


def title(rng: random.Random, category: str) -> str:
    subject = rng.choice(SUBJECTS[category])
    symptom = rng.choice(SYMPTOMS[category])
    if rng.random() < 0.35:
        return f"{subject} {symptom} {rng.choice(PLACES)}"
    return f"{subject} {symptom}"


def description(rng: random.Random, ticket_title: str) -> str:
    details = " ".join(rng.sample(DETAILS, 2))
    return f"{rng.choice(OPENERS)}: {ticket_title.lower()}. {details}"


def person_name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
