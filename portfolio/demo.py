"""The demo portfolio: people, business units, and pilots in every stage.

A newcomer, a screenshot or a benchmark needs a portfolio that looks like a real
company's: every stage, stalled and drifting pilots, each warning signal, decisions
with their reasons. `make run` loads it on first start (`seed_demo --if-empty`) and
`seed_demo --pilots 10000` feeds the benchmarks.

Two paths, on purpose:

- The two reference cases of DOMAIN.md are built through the real services, one call
  at a time, exactly as a user would build them, so they prove the services agree
  with the story they tell.
- The generated pilots are built in memory and written with `bulk_create`, a chunk of
  pilots at a time, so 10,000 pilots load in well under a minute and the number of
  queries grows with the number of chunks, not of pilots. Their gate statuses come from a single
  `readiness_refresh` at the end, the same derivation a user's evidence goes through.

Dates are relative to the day of loading so the demo always looks alive; the same seed
on the same day gives the same portfolio (one `random.Random(seed)`, never the global
random, and no iteration over unordered sets).
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from gates.models import Criterion, Evidence, EvidenceStatus, SignOff, Verdict
from gates.services import evidence_review, evidence_submit, readiness_refresh, signoff_record
from portfolio.models import (
    BusinessUnit,
    ConditionDecision,
    ConditionKind,
    CostCategory,
    CostLine,
    CostPhase,
    Decision,
    Deferral,
    Direction,
    Function,
    KpiKind,
    MetricReading,
    Outcome,
    PathItem,
    PathKind,
    PathStatus,
    Pilot,
    PilotCondition,
    ProductionKpi,
    RiskApproval,
    RiskTier,
    Role,
    Stage,
    StageChange,
    SuccessMetric,
    User,
)
from portfolio.services.lifecycle import decision_defer, pilot_stage_move
from portfolio.services.parts import (
    condition_add,
    condition_decide,
    cost_line_add,
    kpi_add,
    metric_set,
    path_item_add,
    reading_add,
)
from portfolio.services.people import business_unit_get_or_create, user_create
from portfolio.services.pilots import pilot_create
from portfolio.stages import OUTCOME_STAGE

DEMO_PASSWORD = "pilotgate-demo"
EMAIL_DOMAIN = "pilotgate.example"  # .example is reserved: no demo mail reaches anyone

# Generated pilots are built and written this many at a time: large enough that the
# queries per chunk do not matter, small enough to keep memory flat at 10,000 pilots.
PILOT_CHUNK = 500
# Rows per INSERT where the database allows it (SQLite caps parameters lower itself).
BATCH_SIZE = 1000

CONTACT_CENTRE = "Contact-centre assistant"
FINANCE_ANOMALIES = "Finance cost-anomaly model"


# --- People and business units ---------------------------------------------------


@dataclass(frozen=True)
class DemoPerson:
    key: str
    name: str
    role: str
    function: str = Function.BUSINESS
    login: str = ""  # how the login table presents them; empty: not listed

    @property
    def email(self) -> str:
        return f"{self.name.lower().replace(' ', '.')}@{EMAIL_DOMAIN}"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    name: str
    email: str


_REVIEWER_NAMES = {
    Function.BUSINESS: "Nora Hansen",
    Function.IT: "Ethan Moore",
    Function.DATA: "Yuki Tanaka",
    Function.SECURITY: "Omar Haddad",
    Function.LEGAL: "Isabel Romero",
    Function.RISK: "Grace Mwangi",
    Function.HR: "Paul Lefevre",
    Function.OPERATIONS: "Anna Kowalska",
    Function.FINANCE: "Samuel Adeyemi",
}

PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("coo", "Helena Brandt", Role.EXECUTIVE, login="Executive (COO)"),
    DemoPerson("cfo", "Marcus Oyelaran", Role.EXECUTIVE),
    DemoPerson("cio", "Priya Raman", Role.EXECUTIVE),
    DemoPerson("strategy", "Ravi Patel", Role.OWNER),  # head of strategy, a sponsor
    # The line managers who own the pilots of their business unit.
    DemoPerson(
        "customer_service",
        "Sofia Lindqvist",
        Role.OWNER,
        login="Deployment owner (Contact-centre assistant)",
    ),
    DemoPerson("finance", "Daniel Okafor", Role.OWNER),
    DemoPerson("operations", "Tomas Ferreira", Role.OWNER),
    DemoPerson("hr", "Aisha Khan", Role.OWNER),
    DemoPerson("sales", "Lukas Weber", Role.OWNER),
    DemoPerson("it", "Mei Chen", Role.OWNER),
    # Delivery owners: they drive integration and compliance after the pilot.
    DemoPerson("delivery_a", "Jonas Berg", Role.OWNER),
    DemoPerson("delivery_b", "Clara Dubois", Role.OWNER),
    *(
        DemoPerson(
            f"reviewer_{function.value}",
            name,
            Role.REVIEWER,
            function=function.value,
            login=f"Reviewer ({function.label})",
        )
        for function, name in _REVIEWER_NAMES.items()
    ),
    DemoPerson("admin", "Lena Vogt", Role.ADMIN, login="Governance admin"),
)

# Each business unit and the line manager who owns most of its pilots.
UNIT_OWNERS = {
    "Customer service": "customer_service",
    "Finance": "finance",
    "Operations": "operations",
    "HR": "hr",
    "Sales": "sales",
    "IT": "it",
}
SPONSORS = {
    "Finance": ("cfo", "cfo", "strategy"),
    "IT": ("cio", "cio", "strategy"),
}
DEFAULT_SPONSORS = ("coo", "coo", "cio", "strategy")
EXECUTIVES = ("coo", "cfo", "cio")
DELIVERY_OWNERS = ("delivery_a", "delivery_b")


def demo_logins() -> list[DemoLogin]:
    """The demo people worth signing in as, among those that exist in the database."""
    existing = dict(
        User.objects.filter(email__in=[p.email for p in PEOPLE if p.login]).values_list(
            "email", "name"
        )
    )
    return [
        DemoLogin(role=p.login, name=existing[p.email], email=p.email)
        for p in PEOPLE
        if p.login and p.email in existing
    ]


def portfolio_is_empty() -> bool:
    return not Pilot.objects.exists()


# --- Use cases the generated pilots are made of ------------------------------------


@dataclass(frozen=True)
class UseCase:
    title: str
    summary: str
    metric: str
    unit: str
    baseline: float
    target: float
    direction: str
    system: str


_UP, _DOWN = Direction.INCREASE, Direction.DECREASE

USE_CASES: dict[str, tuple[UseCase, ...]] = {
    "Customer service": (
        UseCase(
            "Email triage assistant",
            "Reads incoming customer emails and routes them to the right queue with a "
            "suggested priority.",
            "Average first-response time",
            "hours",
            20,
            8,
            _DOWN,
            "Zendesk",
        ),
        UseCase(
            "Call summarisation",
            "Writes the after-call summary into the CRM so agents close calls faster.",
            "After-call work per call",
            "minutes",
            4.5,
            2,
            _DOWN,
            "Genesys Cloud",
        ),
        UseCase(
            "Complaint classifier",
            "Tags complaints by cause so recurring problems reach the product teams.",
            "Complaints tagged by hand per week",
            "complaints",
            1800,
            300,
            _DOWN,
            "Salesforce Service Cloud",
        ),
        UseCase(
            "Order-status chatbot",
            "Answers 'where is my order?' on the website and in the app.",
            "Order-status contacts handled without an agent",
            "%",
            5,
            40,
            _UP,
            "Web chat",
        ),
        UseCase(
            "Call quality scoring",
            "Scores every call against the quality checklist instead of a 2% sample.",
            "Calls quality-checked per month",
            "calls",
            600,
            30000,
            _UP,
            "Call recording platform",
        ),
    ),
    "Finance": (
        UseCase(
            "Invoice matching",
            "Matches supplier invoices to purchase orders and goods receipts; the team "
            "handles only the exceptions.",
            "Invoices matched by hand per week",
            "invoices",
            2400,
            600,
            _DOWN,
            "SAP S/4HANA",
        ),
        UseCase(
            "Cash-flow forecast",
            "Forecasts the 13-week cash position from receivables, payables and payroll.",
            "Forecast error at four weeks",
            "%",
            18,
            8,
            _DOWN,
            "Treasury system",
        ),
        UseCase(
            "Expense-claim checker",
            "Flags expense claims that break the travel policy before approval.",
            "Claims checked by hand per month",
            "claims",
            5200,
            900,
            _DOWN,
            "Concur",
        ),
        UseCase(
            "Month-end close assistant",
            "Prepares accrual proposals and reconciliations for the month-end close.",
            "Days to close the month",
            "days",
            9,
            5,
            _DOWN,
            "SAP S/4HANA",
        ),
        UseCase(
            "Duplicate-payment detection",
            "Finds duplicate supplier payments before they leave the bank.",
            "Duplicate payments paid out per quarter",
            "EUR",
            120000,
            20000,
            _DOWN,
            "Payment factory",
        ),
    ),
    "Operations": (
        UseCase(
            "Demand forecasting",
            "Forecasts weekly demand per warehouse to set stock levels.",
            "Forecast error (MAPE)",
            "%",
            32,
            18,
            _DOWN,
            "Warehouse management system",
        ),
        UseCase(
            "Predictive maintenance",
            "Predicts conveyor failures from sensor data so repairs happen in planned stops.",
            "Unplanned downtime per month",
            "hours",
            46,
            20,
            _DOWN,
            "Maximo",
        ),
        UseCase(
            "Route optimisation",
            "Plans delivery routes each morning from orders, traffic and driver hours.",
            "Kilometres driven per delivery",
            "km",
            14,
            11,
            _DOWN,
            "Transport management system",
        ),
        UseCase(
            "Shift planning assistant",
            "Proposes shift rosters from forecast volumes and staff preferences.",
            "Planner hours per weekly roster",
            "hours",
            16,
            4,
            _DOWN,
            "Workforce management system",
        ),
        UseCase(
            "Visual parcel inspection",
            "Inspects parcels on the line with a camera and flags damaged ones.",
            "Damaged parcels shipped per 10,000",
            "parcels",
            35,
            10,
            _DOWN,
            "Line control system",
        ),
    ),
    "HR": (
        UseCase(
            "CV screening assistant",
            "Ranks applications against the job profile and explains the ranking to the recruiter.",
            "Recruiter hours per hire",
            "hours",
            22,
            12,
            _DOWN,
            "Workday Recruiting",
        ),
        UseCase(
            "Employee question bot",
            "Answers policy and payroll questions from the HR handbook.",
            "HR tickets per month",
            "tickets",
            3100,
            1800,
            _DOWN,
            "HR service portal",
        ),
        UseCase(
            "Attrition risk model",
            "Estimates which teams risk losing people, so managers act early.",
            "Regretted leavers per year",
            "people",
            140,
            100,
            _DOWN,
            "Workday",
        ),
        UseCase(
            "Onboarding assistant",
            "Guides new joiners through their first weeks and answers their questions.",
            "Days until a new joiner is fully set up",
            "days",
            12,
            5,
            _DOWN,
            "HR service portal",
        ),
        UseCase(
            "Job-ad writer",
            "Drafts inclusive job ads from the role profile.",
            "Days from request to published ad",
            "days",
            6,
            2,
            _DOWN,
            "Workday Recruiting",
        ),
    ),
    "Sales": (
        UseCase(
            "Lead scoring",
            "Scores inbound leads so sales reps call the most promising first.",
            "Lead-to-opportunity conversion",
            "%",
            8,
            12,
            _UP,
            "Salesforce",
        ),
        UseCase(
            "Proposal drafting assistant",
            "Drafts proposals from the opportunity, the price book and past wins.",
            "Hours to prepare a proposal",
            "hours",
            10,
            4,
            _DOWN,
            "Salesforce",
        ),
        UseCase(
            "Churn prediction",
            "Predicts which business customers are likely to leave next quarter.",
            "Yearly churn of business customers",
            "%",
            14,
            10,
            _DOWN,
            "Salesforce",
        ),
        UseCase(
            "Price recommendation",
            "Recommends a discount range for each deal from comparable deals.",
            "Average discount granted",
            "%",
            18,
            13,
            _DOWN,
            "CPQ",
        ),
        UseCase(
            "Meeting notes to CRM",
            "Turns sales-meeting notes into CRM updates and follow-up tasks.",
            "CRM records updated within a day of a meeting",
            "%",
            35,
            85,
            _UP,
            "Salesforce",
        ),
    ),
    "IT": (
        UseCase(
            "Ticket routing",
            "Routes service-desk tickets to the right resolver group on arrival.",
            "Tickets reassigned at least once",
            "%",
            28,
            10,
            _DOWN,
            "ServiceNow",
        ),
        UseCase(
            "Incident summariser",
            "Summarises major incidents for the post-incident review and the status page.",
            "Hours to publish a post-incident review",
            "hours",
            30,
            8,
            _DOWN,
            "ServiceNow",
        ),
        UseCase(
            "Code review assistant",
            "Comments on merge requests with likely bugs and missing tests.",
            "Median hours from merge request to merge",
            "hours",
            26,
            14,
            _DOWN,
            "GitLab",
        ),
        UseCase(
            "Log anomaly detection",
            "Spots unusual patterns in application logs before users notice.",
            "Incidents first reported by users",
            "%",
            60,
            30,
            _DOWN,
            "Observability platform",
        ),
        UseCase(
            "Access-request triage",
            "Pre-approves low-risk access requests and routes the rest.",
            "Days to grant a standard access request",
            "days",
            3,
            0.5,
            _DOWN,
            "Identity management",
        ),
    ),
}

SCOPES = ("Benelux", "Nordics", "Germany", "UK", "France", "Spain", "phase 2", "key accounts")
SUMMARY_TAILS = (
    "Piloted with one team of {team_size} people.",
    "Started from a hackathon idea; built in-house by the data team.",
    "Vendor model, hosted in our own cloud tenant.",
    "Second attempt: the first, in 2023, stalled on data access.",
    "Asked for by the team leads themselves.",
)

# (evidence, rejection comment, objection comment) by (gate key, criterion position), as
# seeded by gates/migrations/0003; a criterion an admin added gets the generic texts.
CRITERION_TEXTS: dict[tuple[str, int], tuple[str, str, str]] = {
    ("ownership", 1): (
        "{owner} accepted accountability for outcomes and adoption in {unit} after launch; "
        "minuted at the steering committee.",
        "Signed by the sponsor, not by the line manager whose team will use it.",
        "{owner} runs the team but has not agreed to own the live system.",
    ),
    ("ownership", 2): (
        "Decision rights on the charter page: {owner} takes the go-live decision, the "
        "delivery owner may pause it, the risk owner accepts the risk.",
        "The decision rights name a committee, not a person.",
        "Nobody is named who may pause or stop it after launch.",
    ),
    ("ownership", 3): (
        "A delivery owner drives integration, compliance review and production KPIs once the "
        "pilot team moves on.",
        "The pilot champion is leaving and no successor is named.",
        "A delivery owner is named but has no time allocated after the pilot.",
    ),
    ("data", 1): (
        "The pilot ran on a daily copy of the production data in {system}, refreshed by the "
        "pipeline.",
        "The pilot used a hand-made export from last spring; production data looks different.",
        "Runs on a hand-made export; no pipeline from {system} exists yet.",
    ),
    ("data", 2): (
        "Data owner, quality checks and access rules written in the data contract for {system}.",
        "No data owner named; quality rules are not written down.",
        "Nobody owns the source data; its quality is checked by hand, if at all.",
    ),
    ("data", 3): (
        "Security review passed: service account access, secrets in the vault, penetration "
        "test done.",
        "The penetration test report is missing.",
        "The vendor API key is shared between users and no penetration test was done.",
    ),
    ("data", 4): (
        "Privacy impact assessment approved; personal data is pseudonymised before the model "
        "sees it.",
        "The privacy impact assessment does not cover the production data.",
        "No privacy impact assessment for the personal data the model sees.",
    ),
    ("integration", 1): (
        "Results appear in the {system} work queue where the team already works.",
        "Screenshots show a separate web page beside {system}; users copy results by hand.",
        "Still a tool beside the process: results are copied by hand into {system}.",
    ),
    ("integration", 2): (
        "Load test at twice the peak volume; no errors in four weeks of shadow running.",
        "The connection to {system} was mocked during the pilot.",
        "The interface to {system} failed twice last month and nobody was alerted.",
    ),
    ("integration", 3): (
        "Escalation procedure: a wrong output is flagged in one click and reaches the delivery "
        "owner within a day.",
        "The procedure names a mailbox nobody reads.",
        "No escalation path when the AI is wrong; people improvise.",
    ),
    ("integration", 4): (
        "Rollback tested: the feature flag returns the team to the old process in minutes.",
        "Rollback described but never tested.",
        "The old process was switched off during the pilot: there is nothing to roll back to.",
    ),
    ("value", 1): (
        "Baseline measured over eight weeks before the pilot: {metric}, {baseline}.",
        "The baseline was estimated from memory, not measured.",
        "The baseline was estimated from memory, not measured.",
    ),
    ("value", 2): (
        "Value hypothesis: {metric} from {baseline} to {target}, measured weekly from "
        "{system} reports.",
        "The hypothesis counts saved hours as cash savings; no budget line changes.",
        "The value case counts saved hours as cash; no budget changes, so nothing is saved.",
    ),
    ("value", 3): (
        "Scale if {metric} reaches {target} four weeks in a row; stop if it has not moved "
        "after three months.",
        "The scale and stop criteria were written after the result was known.",
        "Scale and stop criteria written after the result was known.",
    ),
    ("value", 4): (
        "Evaluation suite of 400 labelled cases built during the pilot; it runs on every "
        "model change.",
        "The test set is the training data.",
        "The evaluation set has 40 cases, too few to catch a regression.",
    ),
    ("adoption", 1): (
        "Work standard agreed with the {unit} team leads: when to accept, edit or reject a "
        "suggestion.",
        "The work standard is a slide, not a standard.",
        "Nobody knows when to override a suggestion, or who answers for an accepted wrong one.",
    ),
    ("adoption", 2): (
        "All {team_size} users trained; attendance list attached.",
        "Training was for team leads only.",
        "Training is planned for team leads only; the users themselves get none.",
    ),
    ("adoption", 3): (
        "Working session with the {unit} team before deployment; their changes are in the backlog.",
        "That was a demo, not a working session.",
        "The people who will use it were never asked.",
    ),
    ("adoption", 4): (
        "Feedback button in the tool; the delivery owner reviews feedback every fortnight.",
        "No time is planned for the team to adapt.",
        "No time is planned for the team to adapt.",
    ),
    ("governance", 1): (
        "Risk classification recorded ({tier} risk), reviewed by Risk and compliance.",
        "The pilot team classified its own risk.",
        "The classification ignores the new use of personal data.",
    ),
    ("governance", 2): (
        "Model card and process documentation in the wiki: data, limits, known failure modes.",
        "The documentation describes the pilot, not the production system.",
        "The model's limits are not documented for the people who rely on it.",
    ),
    ("governance", 3): (
        "Output quality is sampled weekly and shown on the monitoring dashboard.",
        "Monitoring covers uptime only, not output quality.",
        "Monitoring covers uptime only, not the quality of the output.",
    ),
    ("governance", 4): (
        "Control owners named for data, model and process; {owner} is accountable after launch.",
        "Control owners are named for the pilot only.",
        "No named control owner after launch.",
    ),
}

STOP_RATIONALES = (
    "Value below target after 3 months: {metric} moved {progress}% of the way to target; "
    "data quality insufficient to do better.",
    "The pilot ran on a hand-made export; the pipeline production needs costs more than the "
    "value it would bring.",
    "Users did not adopt it: fewer than one suggestion in five was used, and the process "
    "does not need it.",
    "A feature in the vendor's next release covers the use case at a fraction of the cost.",
    "Legal review: the use case needs a consent we cannot obtain from customers.",
    "The business case rested on volumes that fell by half after the reorganisation.",
)
EARLY_STOP_RATIONALES = (
    "Stopped early: the source data cannot be shared with the vendor under our contracts.",
    "Stopped early: the team that would use it is being outsourced next year.",
    "Stopped early: the same problem is solved by the new {system} release.",
)
RESEARCH_RATIONALES = (
    "Promising accuracy, but nobody in the business can run it yet; kept as a research "
    "experiment for the data team, not headed for production.",
    "Works on historic data only; kept as research until a real-time feed exists.",
    "Result within reach of target but the method is new to us; research for one more "
    "quarter, no production budget.",
)
REDESIGN_RATIONALES = (
    "Below target because the scope was too wide; restart on one product line with the same "
    "metric.",
    "Users worked around the tool; redesign it as a step inside the {system} work queue.",
    "Accuracy good, savings small: redesign around the cases that take the longest.",
)
SCALE_RATIONALES = (
    "Target met: {metric} reached {result} against a target of {target}; all gates passed. "
    "Go live in two waves.",
    "Result above target for six weeks in a row; the owner has the team and budget to run "
    "it. Scale.",
    "Target nearly met and the remaining gap has a plan; scale with the conditions below.",
)
SCALE_CONDITIONS = (
    "Monitoring dashboard live before wave 2; review value after 6 months.",
    "Keep the old process available for three months.",
    "",
)
DEFERRAL_REASONS = (
    "Budget for the production transition not confirmed; moved to the next steering committee.",
    "Waiting for IT capacity to integrate it, not planned before next quarter.",
    "Owner on leave; decision moved to the next meeting.",
    "Steering committee ran out of time.",
    "Waiting for the legal opinion on the use of customer data.",
    "Objections still open; the decision waits for them.",
)
CONDITION_TEXTS = {
    ConditionKind.DATA_ACCESS: "Read access to the full {system} data for the pilot team",
    ConditionKind.PERMISSION: "Public cloud model allowed as a temporary exception",
    ConditionKind.STAKEHOLDER_ACCESS: "A weekly slot with the {unit} team leads",
    ConditionKind.SPONSOR_TIME: "{sponsor} chaired a fortnightly check-in",
}
KPI_TEMPLATES = {
    KpiKind.UPTIME: ("Available during business hours", "99.5%"),
    KpiKind.LATENCY: ("Answer ready within", "< 3 s"),
    KpiKind.ERROR_RATE: ("Outputs rejected as wrong", "< 5%"),
    KpiKind.ADOPTION: ("Weekly active users in the team", "> 80%"),
}


# --- Stories: what happened to a generated pilot ------------------------------------


class Story(StrEnum):
    PROPOSED = "proposed"
    UNOWNED_IDEA = "unowned_idea"  # proposed with no owner nor decision maker yet
    PILOTING = "piloting"
    DRIFTING = "drifting"  # still piloting past its planned end
    REDESIGNED = "redesigned"  # a Redesign decision sent it back to piloting
    INVENTORY = "inventory"  # recorded from an inventory, charter incomplete
    AWAITING = "awaiting"  # awaiting decision, recently
    STALLED = "stalled"  # awaiting decision for over 60 days
    STALLED_DEFERRED = "stalled_deferred"  # 150+ days, decision deferred twice or more
    CONFLICTING = "conflicting"  # objections from two functions
    ORGANISATIONAL_GAP = "organisational_gap"  # technical gates pass, organisational do not
    SCALING = "scaling"
    IN_PRODUCTION = "in_production"
    REDESIGNED_THEN_LIVE = "redesigned_then_live"  # Redesign, then Scale superseding it
    STOPPED = "stopped"
    STOPPED_EARLY = "stopped_early"  # stopped while piloting, for a good reason
    RESEARCH = "research"


P, PI, AD = Stage.PROPOSED, Stage.PILOTING, Stage.AWAITING_DECISION
SC, IP, ST, RE = Stage.SCALING, Stage.IN_PRODUCTION, Stage.STOPPED, Stage.RESEARCH

STAGE_PATHS: dict[Story, tuple[str, ...]] = {
    Story.PROPOSED: (P,),
    Story.UNOWNED_IDEA: (P,),
    Story.PILOTING: (P, PI),
    Story.DRIFTING: (P, PI),
    Story.REDESIGNED: (P, PI, AD, PI),
    Story.INVENTORY: (PI,),  # replaced by PI or AD when drawn
    Story.AWAITING: (P, PI, AD),
    Story.STALLED: (P, PI, AD),
    Story.STALLED_DEFERRED: (P, PI, AD),
    Story.CONFLICTING: (P, PI, AD),
    Story.ORGANISATIONAL_GAP: (P, PI, AD),
    Story.SCALING: (P, PI, AD, SC),
    Story.IN_PRODUCTION: (P, PI, AD, SC, IP),
    Story.REDESIGNED_THEN_LIVE: (P, PI, AD, PI, AD, SC, IP),
    Story.STOPPED: (P, PI, AD, ST),
    Story.STOPPED_EARLY: (P, PI, ST),
    Story.RESEARCH: (P, PI, AD, RE),
}
# Days spent in the current stage, by story (the stall threshold is 60 days).
CURRENT_DAYS: dict[Story, tuple[int, int]] = {
    Story.PROPOSED: (2, 80),
    Story.UNOWNED_IDEA: (20, 120),
    Story.PILOTING: (5, 70),
    Story.DRIFTING: (100, 250),
    Story.REDESIGNED: (5, 60),
    Story.INVENTORY: (30, 200),
    Story.AWAITING: (3, 45),
    Story.STALLED: (65, 100),
    Story.STALLED_DEFERRED: (150, 260),
    Story.CONFLICTING: (10, 120),
    Story.ORGANISATIONAL_GAP: (10, 120),
    Story.SCALING: (7, 120),
    Story.IN_PRODUCTION: (30, 540),
    Story.REDESIGNED_THEN_LIVE: (30, 360),
    Story.STOPPED: (10, 400),
    Story.STOPPED_EARLY: (10, 300),
    Story.RESEARCH: (10, 300),
}
# Days spent in a stage the pilot has left.
PAST_STAGE_DAYS = {P: (14, 75), PI: (60, 140), AD: (7, 50), SC: (30, 120)}

# The first pilots tell every story once (high-risk scaled ones among them), so even a
# small demo shows each stage, stall and signal; the rest are drawn by these weights.
COVERAGE: tuple[tuple[Story, str | None], ...] = (
    (Story.STALLED_DEFERRED, None),
    (Story.DRIFTING, None),
    (Story.CONFLICTING, RiskTier.MEDIUM),
    (Story.ORGANISATIONAL_GAP, RiskTier.MEDIUM),
    (Story.UNOWNED_IDEA, None),
    (Story.SCALING, RiskTier.HIGH),
    (Story.IN_PRODUCTION, None),
    (Story.STOPPED, None),
    (Story.RESEARCH, None),
    (Story.AWAITING, None),
    (Story.PROPOSED, None),
    (Story.PILOTING, None),
    (Story.STALLED, None),
    (Story.REDESIGNED, None),
    (Story.INVENTORY, None),
    (Story.REDESIGNED_THEN_LIVE, None),
    (Story.STOPPED_EARLY, None),
    (Story.SCALING, None),
    (Story.IN_PRODUCTION, RiskTier.HIGH),
)
# Pilot purgatory: about one pilot in eight is scaled or live; the rest wait, drift or stop.
STORY_WEIGHTS: dict[Story, int] = {
    Story.PROPOSED: 13,
    Story.UNOWNED_IDEA: 2,
    Story.PILOTING: 15,
    Story.DRIFTING: 5,
    Story.REDESIGNED: 3,
    Story.INVENTORY: 3,
    Story.AWAITING: 7,
    Story.STALLED: 5,
    Story.STALLED_DEFERRED: 3,
    Story.CONFLICTING: 3,
    Story.ORGANISATIONAL_GAP: 3,
    Story.SCALING: 3,
    Story.IN_PRODUCTION: 7,
    Story.REDESIGNED_THEN_LIVE: 1,
    Story.STOPPED: 11,
    Story.STOPPED_EARLY: 4,
    Story.RESEARCH: 5,
}
# Most AI pilots are internal productivity tools on the fast track.
TIER_WEIGHTS = {RiskTier.LOW: 40, RiskTier.MEDIUM: 40, RiskTier.HIGH: 20}

# What evidence and sign-offs say about one criterion of one pilot.
MET = "met"  # accepted evidence and, where there is a function, its sign-off
PENDING = "pending"  # evidence awaiting review
REJECTED = "rejected"  # evidence rejected with a comment
UNSIGNED = "unsigned"  # accepted evidence, the function has not signed yet
OBJECTED = "objected"  # the function objects
NOTHING = "nothing"

# What a pilot's evidence makes of one gate.
PASSED, OPEN, BLOCKED, UNTOUCHED = "passed", "open", "blocked", "untouched"
TECHNICAL_GATES = ("data", "integration", "value")
ORGANISATIONAL_GATES = ("ownership", "adoption", "governance")
ALL_GATES = ("ownership", "data", "integration", "value", "adoption", "governance")


@dataclass(frozen=True)
class SeedReport:
    pilots: int
    by_stage: dict[str, int]
    people: int
    business_units: int


# --- Entry point -------------------------------------------------------------------


def demo_seed(*, pilots: int, seed: int, today: date | None = None) -> SeedReport:
    """Load the demo portfolio into an empty database: the people, the business units,
    the two reference cases of DOMAIN.md and `pilots` generated pilots.

    Everything is written in one transaction, so a failure leaves nothing half-loaded.
    """
    if pilots < 0:
        raise ValueError("The number of pilots cannot be negative.")
    today = today or timezone.localdate()
    rng = random.Random(seed)
    with transaction.atomic():
        people = _people_create()
        units = {name: business_unit_get_or_create(name=name) for name in UNIT_OWNERS}
        criteria = _criteria_by_gate()
        reference_ids = [
            _contact_centre_create(people=people, units=units, criteria=criteria, today=today).id,
            _finance_anomalies_create(
                people=people, units=units, criteria=criteria, today=today
            ).id,
        ]
        generator = _PilotGenerator(
            rng=rng, today=today, people=people, units=units, criteria=criteria
        )
        generated_ids = generator.create(count=pilots, first_number=len(reference_ids) + 1)
        # One derivation of every gate status, from the evidence and sign-offs written above.
        readiness_refresh(pilot_ids=reference_ids + generated_ids)
    by_stage = dict(Pilot.objects.order_by().values_list("stage").annotate(n=Count("id")))
    return SeedReport(
        pilots=len(reference_ids) + len(generated_ids),
        by_stage={stage: by_stage.get(stage, 0) for stage in Stage.values},
        people=len(people),
        business_units=len(units),
    )


def _people_create() -> dict[str, User]:
    """The demo people, created through `user_create` (reusing any that already exist).

    The password is hashed once and written in one update: hashing it for each of the
    22 people would take seconds on every fresh start, for a password printed on screen.
    """
    existing = {u.email: u for u in User.objects.filter(email__in=[p.email for p in PEOPLE])}
    people: dict[str, User] = {}
    created: list[int] = []
    for person in PEOPLE:
        user = existing.get(person.email)
        if user is None:
            user = user_create(
                email=person.email, name=person.name, role=person.role, function=person.function
            )
            created.append(user.id)
        people[person.key] = user
    if created:
        User.objects.filter(id__in=created).update(password=make_password(DEMO_PASSWORD))
    # The governance admin also maintains gates and criteria through /admin/.
    User.objects.filter(id=people["admin"].id).update(is_staff=True, is_superuser=True)
    return people


def _criteria_by_gate() -> dict[str, list[Criterion]]:
    criteria: dict[str, list[Criterion]] = {key: [] for key in ALL_GATES}
    for criterion in Criterion.objects.select_related("gate").order_by(
        "gate__number", "position", "id"
    ):
        criteria.setdefault(criterion.gate.key, []).append(criterion)
    return criteria


def _criterion_texts(criterion: Criterion) -> tuple[str, str, str]:
    return CRITERION_TEXTS.get(
        (criterion.gate.key, criterion.position),
        (
            f"Evidence for: {criterion.text}.",
            "This does not show the criterion is met.",
            "Not satisfied yet.",
        ),
    )


def _at(day: date, hour: int = 10, minute: int = 0, *, tz: tzinfo | None = None) -> datetime:
    """A moment of a day in the current time zone (pass `tz` when calling it often)."""
    tz = tz or timezone.get_current_timezone()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def _id(user: User | None) -> int | None:
    return user.id if user else None


def _amount(value: float) -> Decimal:
    """A figure as people write it: whole numbers when large, one decimal when small."""
    if abs(value) >= 100:
        return Decimal(round(value))
    return Decimal(str(round(value, 1)))


def _figure(value: Decimal, unit: str) -> str:
    text = f"{value:,.1f}".removesuffix(".0")
    if unit == "%":
        return f"{text}%"
    if unit == "EUR":
        return f"EUR {text}"
    return f"{text} {unit}".strip()


# --- The two reference cases, through the real services ---------------------------


@dataclass(frozen=True)
class _Step:
    """How one criterion of a reference case stands: outcome, evidence, comment."""

    outcome: str
    evidence: str = ""
    comment: str = ""


def _reference_gates_record(
    *,
    pilot: Pilot,
    criteria: dict[str, list[Criterion]],
    people: dict[str, User],
    steps: dict[tuple[str, int], _Step],
    context: dict[str, str],
    submitters: dict[str, User],
    start: date,
) -> None:
    """Record the evidence and sign-offs of a reference case through the gate services.

    Every applicable criterion is met unless `steps` says otherwise, so the gates the
    story leaves open are exactly the ones with a step.
    """
    day = start
    for gate_key in ALL_GATES:
        for criterion in criteria[gate_key]:
            if not criterion.applies_to(pilot.risk_tier):
                continue
            step = steps.get((gate_key, criterion.position), _Step(MET))
            if step.outcome == NOTHING:
                continue
            day += timedelta(days=1)
            reviewer = people[f"reviewer_{criterion.function or 'business'}"]
            evidence = evidence_submit(
                pilot=pilot,
                criterion=criterion,
                by=submitters.get(gate_key, submitters["default"]),
                text=step.evidence or _criterion_texts(criterion)[0].format(**context),
                at=_at(day, 9),
            )
            if step.outcome == PENDING:
                continue
            evidence_review(
                evidence=evidence,
                by=reviewer,
                accept=step.outcome != REJECTED,
                comment=step.comment if step.outcome == REJECTED else "",
                at=_at(day, 14),
            )
            if criterion.function and step.outcome in (MET, OBJECTED):
                signoff_record(
                    pilot=pilot,
                    criterion=criterion,
                    by=reviewer,
                    verdict=Verdict.OBJECTED if step.outcome == OBJECTED else Verdict.SIGNED_OFF,
                    comment=step.comment if step.outcome == OBJECTED else "",
                    at=_at(day, 16),
                )


def _contact_centre_create(
    *,
    people: dict[str, User],
    units: dict[str, BusinessUnit],
    criteria: dict[str, list[Criterion]],
    today: date,
) -> Pilot:
    """DOMAIN.md's first reference case: a sound use case, stalled for three months
    awaiting decision because data, integration, adoption and governance are open."""
    owner, delivery = people["customer_service"], people["delivery_a"]
    awaiting_since = today - timedelta(days=96)
    pilot_start = awaiting_since - timedelta(days=90)
    proposed_on = pilot_start - timedelta(days=45)
    pilot = pilot_create(
        title=CONTACT_CENTRE,
        business_unit=units["Customer service"],
        by=owner,
        stage_entered_on=proposed_on,
        reference="PG-0001",
        summary=(
            "Drafts replies to customer emails and chats from the knowledge base; the "
            "consultant checks each draft and sends it. The pilot looked great: consultants "
            "used 7 drafts in 10 and handling time fell by a third. Before production: the "
            "knowledge base has no owner and is partly outdated; the contact-centre platform "
            "is not integrated, so consultants copy and paste; legal asks whether customers "
            "must be told that AI helped; managers do not know whether consultants are "
            "accountable for accepted wrong suggestions. The use case is sound."
        ),
        risk_tier=RiskTier.MEDIUM,
        sponsor=people["coo"],
        deployment_owner=owner,
        delivery_owner=delivery,
        risk_owner=people["reviewer_risk"],
        pilot_start=pilot_start,
        pilot_end_planned=pilot_start + timedelta(days=84),
    )
    metric_set(
        pilot=pilot,
        name="Average handling time per email",
        unit="minutes",
        baseline=Decimal("9.5"),
        target=Decimal("6"),
        direction=Direction.DECREASE,
    )
    path_item_add(
        pilot=pilot,
        kind=PathKind.SYSTEM,
        description="Drafts inside the agent desktop of the contact-centre platform",
        owner=people["it"],
    )
    path_item_add(
        pilot=pilot,
        kind=PathKind.DATA_PIPELINE,
        description="Knowledge base with a named owner and a monthly review of outdated "
        "articles (no owner yet)",
    )
    path_item_add(
        pilot=pilot,
        kind=PathKind.PROCESS_CHANGE,
        description="Work standard for checking, editing and sending a draft",
        owner=owner,
        status=PathStatus.IN_PROGRESS,
    )
    for kind, description in (
        (ConditionKind.DATA_ACCESS, "Read access to the whole knowledge-base database"),
        (ConditionKind.PERMISSION, "Public cloud model allowed as a temporary exception"),
        (ConditionKind.SPONSOR_TIME, "The COO chaired a fortnightly check-in"),
    ):
        condition_add(pilot=pilot, kind=kind, description=description)
    _reference_costs_add(
        pilot=pilot,
        lines=(
            (CostCategory.DATA, CostPhase.PILOT, 12000),
            (CostCategory.TRAINING, CostPhase.PILOT, 4000),
            (CostCategory.MANAGER_TIME, CostPhase.PILOT, 15000),
            (CostCategory.INTEGRATION, CostPhase.TRANSITION, 120000),
            (CostCategory.DATA, CostPhase.TRANSITION, 45000),
            (CostCategory.SECURITY, CostPhase.TRANSITION, 15000),
            (CostCategory.TRAINING, CostPhase.TRANSITION, 38000),
            (CostCategory.GOVERNANCE, CostPhase.TRANSITION, 10000),
            (CostCategory.MANAGER_TIME, CostPhase.TRANSITION, 30000),
            (CostCategory.MONITORING, CostPhase.RUN, 18000),
            (CostCategory.MAINTENANCE, CostPhase.RUN, 40000),
        ),
    )
    for kind, name, target in (
        (KpiKind.BUSINESS, "Average handling time per email", "<= 6 min"),
        (KpiKind.ADOPTION, "Drafts sent with little or no editing", ">= 60%"),
        (KpiKind.ERROR_RATE, "Drafts with a factual error", "< 2%"),
        (KpiKind.UPTIME, "Available during opening hours", "99.5%"),
    ):
        kpi_add(pilot=pilot, kind=kind, name=name, target=target)
    pilot_stage_move(
        pilot=pilot, to_stage=PI, by=owner, on=pilot_start, reason="Charter complete"
    )
    for weeks, value in ((4, "8.1"), (8, "6.9"), (12, "6.2")):
        reading_add(
            pilot=pilot, measured_on=pilot_start + timedelta(weeks=weeks), value=Decimal(value)
        )
    pilot_stage_move(
        pilot=pilot,
        to_stage=AD,
        by=delivery,
        on=awaiting_since,
        reason="Pilot finished: handling time 9.5 -> 6.2 minutes",
    )
    _reference_gates_record(
        pilot=pilot,
        criteria=criteria,
        people=people,
        context=dict(
            owner=owner.name,
            unit="Customer service",
            system="contact-centre platform",
            metric="Average handling time per email",
            baseline="9.5 minutes",
            target="6 minutes",
            tier="medium",
            team_size="12",
            sponsor=people["coo"].name,
        ),
        submitters={"default": owner, "data": delivery, "integration": delivery},
        start=pilot_start + timedelta(days=30),
        steps={
            ("data", 1): _Step(
                OBJECTED,
                "The pilot drafted from the live knowledge base (4,200 articles).",
                "The knowledge base has no owner and is partly outdated: about a fifth of the "
                "articles describe old tariffs, and the drafts repeat them.",
            ),
            ("data", 2): _Step(
                REJECTED,
                "Knowledge-base access rules from the pilot.",
                "Nobody owns the knowledge base, so there are no quality or update rules.",
            ),
            ("data", 4): _Step(
                OBJECTED,
                "Customer messages are processed in our own cloud tenant.",
                "Must customers be told that AI helped write the reply? Legal needs an answer "
                "before go-live.",
            ),
            ("integration", 1): _Step(
                OBJECTED,
                "The assistant runs in a browser tab next to the contact-centre platform.",
                "Not integrated with the contact-centre platform: consultants copy and paste "
                "every draft between two windows.",
            ),
            ("integration", 2): _Step(NOTHING),
            ("integration", 4): _Step(NOTHING),
            ("adoption", 1): _Step(
                REJECTED,
                "Guidance for consultants: read every draft before sending.",
                "Managers do not know whether a consultant is accountable for a wrong "
                "suggestion they accepted; the work standard has to say so.",
            ),
            ("adoption", 2): _Step(
                PENDING, "The 12 pilot consultants are trained; 140 consultants to go."
            ),
            ("governance", 3): _Step(NOTHING),
            ("governance", 4): _Step(
                OBJECTED,
                "Accountability: the consultant who sends a reply.",
                "Who answers for a wrong answer a consultant accepted: the consultant, the team "
                "manager or the assistant's owner? Not decided.",
            ),
        },
    )
    decision_defer(
        pilot=pilot,
        by=owner,
        on=today - timedelta(days=55),
        reason="Waiting for legal's answer on telling customers that AI helped.",
    )
    decision_defer(
        pilot=pilot,
        by=owner,
        on=today - timedelta(days=20),
        reason="Knowledge-base owner still not named; moved to the next steering committee.",
    )
    return pilot


def _finance_anomalies_create(
    *,
    people: dict[str, User],
    units: dict[str, BusinessUnit],
    criteria: dict[str, list[Criterion]],
    today: date,
) -> Pilot:
    """DOMAIN.md's second reference case: the model finds what analysts missed, but data,
    integration and governance are open; awaiting decision for four weeks."""
    owner, delivery, cfo = people["finance"], people["delivery_b"], people["cfo"]
    awaiting_since = today - timedelta(days=27)
    pilot_start = awaiting_since - timedelta(days=100)
    proposed_on = pilot_start - timedelta(days=60)
    pilot = pilot_create(
        title=FINANCE_ANOMALIES,
        business_unit=units["Finance"],
        by=cfo,
        stage_entered_on=proposed_on,
        reference="PG-0002",
        summary=(
            "Finds anomalies in cost postings that analysts missed: duplicate bookings, "
            "miscoded cost centres, unusual supplier charges. In three months of pilot it "
            "found EUR 410,000 the monthly review had missed. Before production: cost-data "
            "definitions differ between business units, some categories are classified by "
            "hand, the exception-approval process is inconsistent, and nobody has decided "
            "whether the model only recommends or also alerts budget owners."
        ),
        risk_tier=RiskTier.MEDIUM,
        sponsor=cfo,
        deployment_owner=owner,
        delivery_owner=delivery,
        decision_maker=cfo,
        risk_owner=people["reviewer_risk"],
        pilot_start=pilot_start,
        pilot_end_planned=pilot_start + timedelta(days=91),
    )
    metric_set(
        pilot=pilot,
        name="Value of cost anomalies caught before the monthly close",
        unit="EUR per quarter",
        baseline=Decimal("60000"),
        target=Decimal("300000"),
        direction=Direction.INCREASE,
    )
    path_item_add(
        pilot=pilot,
        kind=PathKind.SYSTEM,
        description="Anomalies in the controlling work queue of SAP S/4HANA",
        owner=people["it"],
        status=PathStatus.IN_PROGRESS,
    )
    path_item_add(
        pilot=pilot,
        kind=PathKind.DATA_PIPELINE,
        description="One cost-category mapping for every business unit",
        owner=owner,
    )
    path_item_add(
        pilot=pilot,
        kind=PathKind.PROCESS_CHANGE,
        description="One exception-approval process across business units",
        owner=owner,
    )
    data_access = condition_add(
        pilot=pilot,
        kind=ConditionKind.DATA_ACCESS,
        description="Read access to the general ledger of every business unit",
    )
    condition_decide(condition=data_access, decision=ConditionDecision.PERMANENT)
    condition_add(
        pilot=pilot,
        kind=ConditionKind.STAKEHOLDER_ACCESS,
        description="Two analysts seconded half-time to label anomalies",
    )
    _reference_costs_add(
        pilot=pilot,
        lines=(
            (CostCategory.DATA, CostPhase.PILOT, 18000),
            (CostCategory.INTEGRATION, CostPhase.PILOT, 6000),
            (CostCategory.MANAGER_TIME, CostPhase.PILOT, 12000),
            (CostCategory.INTEGRATION, CostPhase.TRANSITION, 60000),
            (CostCategory.DATA, CostPhase.TRANSITION, 85000),
            (CostCategory.GOVERNANCE, CostPhase.TRANSITION, 15000),
            (CostCategory.TRAINING, CostPhase.TRANSITION, 9000),
            (CostCategory.MONITORING, CostPhase.RUN, 12000),
            (CostCategory.MAINTENANCE, CostPhase.RUN, 25000),
        ),
    )
    for kind, name, target, horizon in (
        (
            KpiKind.BUSINESS,
            "Value of anomalies caught before close",
            ">= EUR 300,000 a quarter",
            12,
        ),
        (KpiKind.ERROR_RATE, "False alarms per 100 anomalies flagged", "< 20", 6),
        (KpiKind.ADOPTION, "Anomalies reviewed within 5 working days", "> 90%", 6),
    ):
        kpi_add(pilot=pilot, kind=kind, name=name, target=target, horizon_months=horizon)
    pilot_stage_move(
        pilot=pilot, to_stage=PI, by=owner, on=pilot_start, reason="Charter complete"
    )
    for weeks, value in ((5, "140000"), (9, "265000"), (13, "410000")):
        reading_add(
            pilot=pilot, measured_on=pilot_start + timedelta(weeks=weeks), value=Decimal(value)
        )
    pilot_stage_move(
        pilot=pilot,
        to_stage=AD,
        by=delivery,
        on=awaiting_since,
        reason="Pilot finished: EUR 410,000 of anomalies caught in a quarter",
    )
    _reference_gates_record(
        pilot=pilot,
        criteria=criteria,
        people=people,
        context=dict(
            owner=owner.name,
            unit="Finance",
            system="SAP S/4HANA",
            metric="Value of cost anomalies caught before the monthly close",
            baseline="EUR 60,000 a quarter",
            target="EUR 300,000 a quarter",
            tier="medium",
            team_size="9",
            sponsor=cfo.name,
        ),
        submitters={"default": owner, "data": delivery, "integration": delivery},
        start=pilot_start + timedelta(days=40),
        steps={
            ("data", 1): _Step(
                REJECTED,
                "The pilot ran on twelve months of cost postings from every business unit.",
                "A hand-cleaned extract: the categories the model could not read were "
                "classified by hand first.",
            ),
            ("data", 2): _Step(
                OBJECTED,
                "Cost data rules: the general-ledger definitions of each business unit.",
                "Cost-data definitions differ between business units ('external services' in "
                "Sales is 'consultancy' in Operations) and some categories are still "
                "classified by hand each month.",
            ),
            ("integration", 1): _Step(
                PENDING,
                "Anomalies land in the controlling work queue in SAP; whether budget owners "
                "also get an alert is still open.",
            ),
            ("integration", 3): _Step(
                OBJECTED,
                "Escalation: analysts send confirmed anomalies to the approver of the posting.",
                "The exception-approval process differs between business units; the escalation "
                "of an anomaly cannot be written until it is one process.",
            ),
            ("governance", 4): _Step(
                REJECTED,
                "Control owner: the head of financial control.",
                "Nobody has decided whether the model only recommends to analysts or also "
                "alerts budget owners; the control owners depend on that decision.",
            ),
        },
    )
    return pilot


def _reference_costs_add(*, pilot: Pilot, lines: Sequence[tuple[str, str, int]]) -> None:
    for category, phase, amount in lines:
        cost_line_add(
            pilot=pilot,
            category=category,
            phase=phase,
            amount=Decimal(amount),
            note="per year" if phase == CostPhase.RUN else "",
        )


# --- Generated pilots, written in bulk ---------------------------------------------


@dataclass
class _Rows:
    """What one chunk of generated pilots writes besides the pilots themselves, in the
    order it must be written."""

    stage_changes: list[StageChange] = field(default_factory=list)
    metrics: list[SuccessMetric] = field(default_factory=list)
    readings: list[MetricReading] = field(default_factory=list)
    path_items: list[PathItem] = field(default_factory=list)
    conditions: list[PilotCondition] = field(default_factory=list)
    cost_lines: list[CostLine] = field(default_factory=list)
    kpis: list[ProductionKpi] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    # A decision that supersedes another is written after the one it points to.
    superseding_decisions: list[Decision] = field(default_factory=list)
    deferrals: list[Deferral] = field(default_factory=list)
    risk_approvals: list[RiskApproval] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    signoffs: list[SignOff] = field(default_factory=list)

    def write(self) -> None:
        """Write every row with bulk_create, which sets the primary keys the later rows
        point to (a reading's metric, a decision's predecessor). bulk_create skips
        ImmutableRecord.save: these records are written once, here, which is all that
        guard protects."""
        for rows in (
            self.stage_changes,
            self.metrics,
            self.readings,
            self.path_items,
            self.conditions,
            self.cost_lines,
            self.kpis,
            self.decisions,
            self.superseding_decisions,
            self.deferrals,
            self.risk_approvals,
            self.evidence,
            self.signoffs,
        ):
            if rows:
                type(rows[0]).objects.bulk_create(rows, batch_size=BATCH_SIZE)


@dataclass
class _Draft:
    """One generated pilot while it is being made up."""

    pilot: Pilot
    story: Story
    use_case: UseCase
    path: tuple[str, ...]
    entered: list[date]  # the day the pilot entered each stage of `path`
    context: dict[str, str]
    baseline: Decimal
    target: Decimal
    result: float  # how far the pilot got from baseline to target (1: target met)
    metric: SuccessMetric | None = None

    def value_at(self, progress: float) -> Decimal:
        """The metric's value once `progress` of the way from baseline to target."""
        value = float(self.baseline) + (float(self.target) - float(self.baseline)) * progress
        return _amount(max(value, 0))

    def entered_last(self, stage: str) -> date | None:
        days = [on for s, on in zip(self.path, self.entered, strict=True) if s == stage]
        return days[-1] if days else None


class _PilotGenerator:
    """Makes up pilots with a believable history and writes them in chunks."""

    def __init__(
        self,
        *,
        rng: random.Random,
        today: date,
        people: dict[str, User],
        units: dict[str, BusinessUnit],
        criteria: dict[str, list[Criterion]],
    ) -> None:
        self.rng = rng
        self.today = today
        self.people = people
        self.units = units
        self.criteria = criteria
        self.texts = {c.id: _criterion_texts(c) for cs in criteria.values() for c in cs}
        self.tz = timezone.get_current_timezone()

    # -- the portfolio

    def create(self, *, count: int, first_number: int) -> list[int]:
        plan = list(COVERAGE[:count])
        stories, weights = list(STORY_WEIGHTS), list(STORY_WEIGHTS.values())
        plan += [(story, None) for story in self.rng.choices(stories, weights, k=count - len(plan))]
        self.rng.shuffle(plan)
        ids: list[int] = []
        for start in range(0, count, PILOT_CHUNK):
            # The pilots first, so their parts can point to them by id: assigning ids is
            # much cheaper than assigning model instances, at some twenty parts a pilot.
            drafts = [
                self._draft(number=first_number + start + offset, story=story, tier=tier)
                for offset, (story, tier) in enumerate(plan[start : start + PILOT_CHUNK])
            ]
            Pilot.objects.bulk_create([d.pilot for d in drafts], batch_size=BATCH_SIZE)
            rows = _Rows()
            for draft in drafts:
                self._parts_add(rows, draft)
            rows.write()
            ids += [d.pilot.id for d in drafts]
        return ids

    def _draft(self, *, number: int, story: Story, tier: str | None) -> _Draft:
        rng = self.rng
        unit_name = rng.choice(list(UNIT_OWNERS))
        use_case = rng.choice(USE_CASES[unit_name])
        tier = tier or rng.choices(list(TIER_WEIGHTS), list(TIER_WEIGHTS.values()))[0]
        path = STAGE_PATHS[story]
        if story == Story.INVENTORY:
            path = (rng.choice((PI, AD)),)
        entered = self._stage_dates(story, path)
        pilot = Pilot(
            reference=f"PG-{number:04d}",
            title=use_case.title + (f" ({rng.choice(SCOPES)})" if rng.random() < 0.45 else ""),
            business_unit=self.units[unit_name],
            stage=path[-1],
            stage_entered_on=entered[-1],
            risk_tier=tier,
            **self._people_of(story, unit_name, tier),
        )
        team_size = str(rng.randint(6, 60))
        pilot.summary = f"{use_case.summary} {rng.choice(SUMMARY_TAILS)}".format(
            team_size=team_size
        )
        baseline = _amount(use_case.baseline * rng.uniform(0.85, 1.15))
        target = _amount(float(baseline) * use_case.target / use_case.baseline)
        draft = _Draft(
            pilot=pilot,
            story=story,
            use_case=use_case,
            path=path,
            entered=entered,
            context=dict(
                owner=pilot.deployment_owner.name if pilot.deployment_owner else "the team lead",
                unit=unit_name,
                system=use_case.system,
                metric=use_case.metric,
                baseline=_figure(baseline, use_case.unit),
                target=_figure(target, use_case.unit),
                tier=tier,
                team_size=team_size,
                sponsor=pilot.sponsor.name if pilot.sponsor else "The sponsor",
            ),
            baseline=baseline,
            target=target,
            result=self._result(story),
        )
        self._pilot_dates_set(draft)
        return draft

    def _parts_add(self, rows: _Rows, draft: _Draft) -> None:
        """Everything a saved pilot carries: history, charter, costs, gates."""
        self._history_add(rows, draft)
        self._charter_add(rows, draft)
        self._costs_add(rows, draft)
        self._conditions_add(rows, draft)
        self._kpis_add(rows, draft)
        self._gates_add(rows, draft)

    def _result(self, story: Story) -> float:
        """How far the pilot moved its metric towards target, as its story implies."""
        low, high = {
            Story.STOPPED: (-0.1, 0.4),
            Story.RESEARCH: (0.3, 0.7),
            Story.REDESIGNED: (0.1, 0.5),
            Story.SCALING: (0.9, 1.3),
            Story.IN_PRODUCTION: (0.9, 1.3),
            Story.REDESIGNED_THEN_LIVE: (0.9, 1.2),
        }.get(story, (0.4, 1.1))
        return self.rng.uniform(low, high)

    def _people_of(self, story: Story, unit_name: str, tier: str) -> dict[str, User | None]:
        rng, people = self.rng, self.people
        owner_key = (
            UNIT_OWNERS[unit_name]
            if rng.random() < 0.85
            else rng.choice(list(UNIT_OWNERS.values()))
        )
        chosen = {
            "sponsor": people[rng.choice(SPONSORS.get(unit_name, DEFAULT_SPONSORS))],
            "deployment_owner": people[owner_key],
            "delivery_owner": people[rng.choice(DELIVERY_OWNERS)] if rng.random() < 0.7 else None,
            "decision_maker": people[rng.choice(EXECUTIVES)] if rng.random() < 0.2 else None,
            "risk_owner": None,
        }
        if tier == RiskTier.HIGH or (tier == RiskTier.MEDIUM and rng.random() < 0.25):
            chosen["risk_owner"] = people["reviewer_risk" if rng.random() < 0.7 else "cio"]
        # An idea nobody owns yet, or an inventory line that names no one: nobody is
        # sure who makes the final call.
        if story == Story.UNOWNED_IDEA or (story == Story.INVENTORY and rng.random() < 0.5):
            chosen["deployment_owner"] = chosen["decision_maker"] = None
        return chosen

    # -- dates and stage history

    def _stage_dates(self, story: Story, path: tuple[str, ...]) -> list[date]:
        """The day the pilot entered each stage, counted back from today."""
        rng = self.rng
        entered = [self.today - timedelta(days=rng.randint(*CURRENT_DAYS[story]))]
        for stage in reversed(path[:-1]):
            entered.insert(0, entered[0] - timedelta(days=rng.randint(*PAST_STAGE_DAYS[stage])))
        return entered

    def _pilot_dates_set(self, draft: _Draft) -> None:
        rng, pilot, today = self.rng, draft.pilot, self.today
        started = draft.entered_last(PI)
        if draft.story == Story.INVENTORY:
            started = draft.entered[0] - timedelta(days=rng.randint(30, 120))
            if rng.random() < 0.5:  # the inventory often has no planned end
                pilot.pilot_start = started
                return
        if started is None:  # proposed: a planned start, sometimes
            if rng.random() < 0.5:
                pilot.pilot_start = today + timedelta(days=rng.randint(14, 60))
                pilot.pilot_end_planned = pilot.pilot_start + timedelta(days=rng.randint(60, 120))
            return
        pilot.pilot_start = started
        if pilot.stage == PI and draft.story != Story.DRIFTING and draft.story != Story.INVENTORY:
            end = today + timedelta(days=rng.randint(7, 90))
        elif draft.story == Story.DRIFTING:
            overdue = rng.randint(7, (today - started).days - 30)
            end = today - timedelta(days=overdue)
        else:
            left = next(
                (on for s, on in zip(draft.path, draft.entered, strict=True) if on > started),
                today,
            )
            end = left + timedelta(days=rng.randint(-20, 10))
        pilot.pilot_end_planned = max(end, started + timedelta(days=30))
        if pilot.stage == IP:
            pilot.go_live_on = pilot.stage_entered_on

    def _history_add(self, rows: _Rows, draft: _Draft) -> None:
        """A stage change for each step, and the decision behind each step that took one."""
        rng, pilot = self.rng, draft.pilot
        owner = pilot.deployment_owner
        decider = pilot.decision_maker or owner
        previous: Decision | None = None
        awaiting_since: date | None = None
        for i, (stage, on) in enumerate(zip(draft.path, draft.entered, strict=True)):
            from_stage = draft.path[i - 1] if i else ""
            by: User | None = owner or pilot.sponsor
            if not from_stage:
                reason = (
                    "Recorded from the AI inventory"
                    if draft.story == Story.INVENTORY
                    else "Idea submitted"
                )
                by = pilot.sponsor if draft.story != Story.INVENTORY else None
            elif stage == PI and from_stage == P:
                reason = "Charter complete"
            elif stage == AD:
                reason = "Pilot finished; result ready for the stage-gate decision"
                by = pilot.delivery_owner or owner
                awaiting_since = on
            elif stage == IP:
                reason = "Live for all users"
                by = pilot.delivery_owner or owner
            else:  # a stage-gate decision sent it here
                if rng.random() < 0.2:
                    decider = self.people[rng.choice(EXECUTIVES)]
                decision = self._decision(
                    draft, from_stage=from_stage, to_stage=stage, on=on, by=decider
                )
                decision.supersedes = previous
                (rows.superseding_decisions if previous else rows.decisions).append(decision)
                self._before_decision_add(rows, draft, since=awaiting_since, decision=decision)
                previous, by = decision, decider
                reason = f"Decision: {Outcome(decision.outcome).label}. {decision.rationale}"
            rows.stage_changes.append(
                StageChange(
                    pilot_id=pilot.id,
                    from_stage=from_stage,
                    to_stage=stage,
                    changed_on=on,
                    changed_by_id=_id(by),
                    reason=reason,
                )
            )
        if pilot.stage == AD and awaiting_since is not None:
            self._deferrals_add(rows, draft, since=awaiting_since, until=self.today)

    def _decision(
        self, draft: _Draft, *, from_stage: str, to_stage: str, on: date, by: User
    ) -> Decision:
        rng = self.rng
        outcome = next(o for o, s in OUTCOME_STAGE.items() if s == to_stage)
        if outcome == Outcome.STOP and from_stage == PI:
            rationales = EARLY_STOP_RATIONALES
        else:
            rationales = {
                Outcome.SCALE: SCALE_RATIONALES,
                Outcome.REDESIGN: REDESIGN_RATIONALES,
                Outcome.STOP: STOP_RATIONALES,
                Outcome.RESEARCH: RESEARCH_RATIONALES,
            }[outcome]
        return Decision(
            pilot_id=draft.pilot.id,
            outcome=outcome,
            decided_by_id=by.id,
            decided_on=on,
            rationale=rng.choice(rationales).format(
                metric=draft.use_case.metric.lower(),
                system=draft.use_case.system,
                progress=max(0, round(draft.result * 100)),
                result=_figure(draft.value_at(draft.result), draft.use_case.unit),
                target=draft.context["target"],
            ),
            conditions=rng.choice(SCALE_CONDITIONS) if outcome == Outcome.SCALE else "",
        )

    def _before_decision_add(
        self, rows: _Rows, draft: _Draft, *, since: date | None, decision: Decision
    ) -> None:
        """What came before a decision: maybe a deferral and, for a high-risk Scale, the
        risk owner's approval (the services refuse a high-risk Scale without it)."""
        pilot = draft.pilot
        if since is None:
            return
        if self.rng.random() < 0.3:
            self._deferrals_add(rows, draft, since=since, until=decision.decided_on, count=1)
        if decision.outcome == Outcome.SCALE and pilot.risk_tier == RiskTier.HIGH:
            gap = (decision.decided_on - since).days
            rows.risk_approvals.append(
                RiskApproval(
                    pilot_id=pilot.id,
                    approved_by_id=pilot.risk_owner_id,
                    approved_on=decision.decided_on - timedelta(days=self.rng.randint(1, gap)),
                    note="Risks and controls reviewed; approved for production.",
                )
            )

    def _deferrals_add(
        self, rows: _Rows, draft: _Draft, *, since: date, until: date, count: int | None = None
    ) -> None:
        rng, pilot = self.rng, draft.pilot
        by = pilot.decision_maker or pilot.deployment_owner
        if by is None:
            return
        if count is None:
            count = {
                Story.STALLED_DEFERRED: rng.randint(2, 4),
                Story.STALLED: rng.choice((0, 1)),
            }.get(draft.story, 1 if rng.random() < 0.15 else 0)
        span = (until - since).days - 1
        if span < count:
            return
        for offset in sorted(rng.sample(range(1, span + 1), count)):
            rows.deferrals.append(
                Deferral(
                    pilot_id=pilot.id,
                    deferred_on=since + timedelta(days=offset),
                    deferred_by_id=by.id,
                    reason=rng.choice(DEFERRAL_REASONS),
                )
            )

    # -- charter, costs, conditions, KPIs

    def _charter_add(self, rows: _Rows, draft: _Draft) -> None:
        """The success metric, its readings and the path to production. Pilots past the
        proposal have a full charter, except inventory lines (deliberately incomplete)."""
        rng, pilot, use_case = self.rng, draft.pilot, draft.use_case
        incomplete = draft.story == Story.INVENTORY
        proposal = pilot.stage == P
        has_metric = rng.random() < (0.6 if proposal else 0.4 if incomplete else 1)
        has_path = rng.random() < (0.5 if proposal else 0.3 if incomplete else 1)
        if incomplete and has_metric and has_path:
            has_path = False
        if has_metric:
            draft.metric = SuccessMetric(
                pilot_id=pilot.id,
                name=use_case.metric,
                unit=use_case.unit,
                baseline=draft.baseline,
                target=draft.target,
                direction=use_case.direction,
            )
            rows.metrics.append(draft.metric)
            self._readings_add(rows, draft)
        if has_path:
            status = {
                IP: PathStatus.DONE,
                SC: PathStatus.IN_PROGRESS,
                AD: PathStatus.IN_PROGRESS,
            }.get(pilot.stage, PathStatus.PLANNED)
            items = [
                (PathKind.SYSTEM, f"Integrate with {use_case.system}", self.people["it"]),
                (
                    PathKind.DATA_PIPELINE,
                    f"Daily feed from {use_case.system} with quality checks",
                    self.people["reviewer_data"],
                ),
                (
                    PathKind.PROCESS_CHANGE,
                    f"{draft.context['unit']} process updated to include the AI step",
                    pilot.deployment_owner,
                ),
            ]
            for kind, description, owner in rng.sample(items, rng.choice((1, 1, 2, 3))):
                rows.path_items.append(
                    PathItem(
                        pilot_id=pilot.id,
                        kind=kind,
                        description=description,
                        owner_id=_id(owner),
                        status=status if rng.random() < 0.8 else PathStatus.PLANNED,
                    )
                )

    def _readings_add(self, rows: _Rows, draft: _Draft) -> None:
        """Readings during the pilot and, for most pilots in production, after go-live
        (the portfolio's "measured post-launch value")."""
        rng, pilot, metric, result = self.rng, draft.pilot, draft.metric, draft.result
        started = pilot.pilot_start
        if started is None or started >= self.today:
            return
        yesterday = self.today - timedelta(days=1)
        # A pilot still piloting (a redesigned one too) is measured until now.
        ended = (
            yesterday if pilot.stage == PI else min(draft.entered_last(AD) or yesterday, yesterday)
        )
        if ended <= started:
            return
        count = 1 if pilot.stage == PI else 2
        span = (ended - started).days
        for i in range(1, count + 1):
            rows.readings.append(
                MetricReading(
                    metric=metric,
                    measured_on=started + timedelta(days=span * i // count),
                    value=draft.value_at(result * i / count),
                    note="Pilot measurement",
                )
            )
        if pilot.go_live_on and rng.random() < 0.85:
            first = pilot.go_live_on + timedelta(days=14)
            for i in range(rng.randint(1, 2)):
                measured_on = first + timedelta(days=30 * i)
                if measured_on >= self.today:
                    break
                rows.readings.append(
                    MetricReading(
                        metric=metric,
                        measured_on=measured_on,
                        value=draft.value_at(result * rng.uniform(0.9, 1.1)),
                        note="Measured in production",
                    )
                )

    def _costs_add(self, rows: _Rows, draft: _Draft) -> None:
        """Pilot costs, and the production-transition and yearly run costs, which are
        typically several times the pilot cost: what the CFO needs to see."""
        rng, pilot = self.rng, draft.pilot
        if pilot.stage == P and rng.random() < 0.5:
            return
        pilot_categories = [
            CostCategory.DATA,
            CostCategory.INTEGRATION,
            CostCategory.TRAINING,
            CostCategory.MANAGER_TIME,
            CostCategory.SECURITY,
        ]
        pilot_lines = {
            c: rng.randint(20, 300) * 100 for c in rng.sample(pilot_categories, rng.randint(1, 2))
        }
        self._cost_lines_add(rows, pilot, CostPhase.PILOT, pilot_lines)
        pilot_total = sum(pilot_lines.values())
        reached_decision = AD in draft.path or pilot.stage in (ST, RE)
        if reached_decision or (pilot.stage == PI and rng.random() < 0.5):
            categories = rng.sample(list(CostCategory), rng.randint(1, 3))
            self._cost_lines_add(
                rows,
                pilot,
                CostPhase.TRANSITION,
                _split(rng, pilot_total * rng.uniform(3, 8), categories),
            )
        if pilot.stage in (AD, SC, IP) and (pilot.stage != AD or rng.random() < 0.5):
            categories = rng.sample(
                [
                    CostCategory.MONITORING,
                    CostCategory.MAINTENANCE,
                    CostCategory.GOVERNANCE,
                    CostCategory.SECURITY,
                ],
                1,
            )
            self._cost_lines_add(
                rows,
                pilot,
                CostPhase.RUN,
                _split(rng, pilot_total * rng.uniform(0.8, 2), categories),
            )

    def _cost_lines_add(
        self, rows: _Rows, pilot: Pilot, phase: str, amounts: dict[str, int]
    ) -> None:
        note = "per year" if phase == CostPhase.RUN else ""
        if pilot.stage == P or (phase == CostPhase.TRANSITION and pilot.stage not in (SC, IP)):
            note = "estimate"
        for category, amount in amounts.items():
            rows.cost_lines.append(
                CostLine(
                    pilot_id=pilot.id,
                    category=category,
                    phase=phase,
                    amount=Decimal(amount),
                    note=note,
                )
            )

    def _conditions_add(self, rows: _Rows, draft: _Draft) -> None:
        """The exceptions that made the pilot fast, decided as the pilot closes: mostly
        made permanent when it ships, withdrawn when it stops."""
        rng, pilot = self.rng, draft.pilot
        if pilot.stage == P or (pilot.stage == PI and rng.random() < 0.5):
            return
        for kind in rng.sample(list(CONDITION_TEXTS), rng.choice((1, 1, 2))):
            if pilot.stage in (SC, IP):
                decision = (
                    ConditionDecision.PERMANENT
                    if rng.random() < 0.7
                    else ConditionDecision.WITHDRAWN
                )
            elif pilot.stage in (ST, RE):
                decision = ConditionDecision.WITHDRAWN
            elif pilot.stage == AD and rng.random() < 0.3:
                decision = rng.choice((ConditionDecision.PERMANENT, ConditionDecision.WITHDRAWN))
            else:
                decision = ConditionDecision.UNDECIDED
            rows.conditions.append(
                PilotCondition(
                    pilot_id=pilot.id,
                    kind=kind,
                    description=CONDITION_TEXTS[kind].format(**draft.context),
                    decision=decision,
                )
            )

    def _kpis_add(self, rows: _Rows, draft: _Draft) -> None:
        rng, pilot, use_case = self.rng, draft.pilot, draft.use_case
        if pilot.stage not in (SC, IP) and not (pilot.stage == AD and rng.random() < 0.4):
            return
        horizon = rng.choice((6, 12, 12, 18, 24))
        rows.kpis.append(
            ProductionKpi(
                pilot_id=pilot.id,
                kind=KpiKind.BUSINESS,
                name=use_case.metric,
                target=draft.context["target"],
                horizon_months=horizon,
            )
        )
        for kind in rng.sample(list(KPI_TEMPLATES), rng.randint(1, 3)):
            name, target = KPI_TEMPLATES[kind]
            rows.kpis.append(
                ProductionKpi(
                    pilot_id=pilot.id, kind=kind, name=name, target=target, horizon_months=horizon
                )
            )

    # -- gates

    def _gate_plan(self, draft: _Draft) -> dict[str, str]:
        """What the pilot's evidence makes of each gate, given its story."""
        rng, story = self.rng, draft.story

        def some(*states: str) -> str:
            return rng.choice(states)

        if story in (Story.PROPOSED, Story.UNOWNED_IDEA, Story.INVENTORY):
            return {"ownership": some(UNTOUCHED, UNTOUCHED, OPEN)}
        if story in (Story.PILOTING, Story.DRIFTING, Story.REDESIGNED):
            # Mid-pilot: ownership settled or not, the value case in progress, the rest
            # mostly not looked at yet.
            return {
                "ownership": some(PASSED, OPEN, UNTOUCHED, UNTOUCHED),
                "value": some(OPEN, UNTOUCHED, UNTOUCHED),
            }
        if story in (Story.SCALING, Story.IN_PRODUCTION, Story.REDESIGNED_THEN_LIVE):
            plan = dict.fromkeys(ALL_GATES, PASSED)
            if rng.random() < 0.15:  # scaled with training still under way
                plan["adoption"] = OPEN
            return plan
        if story == Story.ORGANISATIONAL_GAP:
            plan = dict.fromkeys(TECHNICAL_GATES, PASSED)
            plan |= {key: some(PASSED, OPEN, BLOCKED) for key in ORGANISATIONAL_GATES}
            # The one organisational gate every tier takes stays open.
            plan["ownership"] = some(OPEN, BLOCKED)
            return plan
        if story in (Story.STOPPED, Story.STOPPED_EARLY):
            # The evidence that explains the stop: value not shown, data not fit.
            return {
                "ownership": some(PASSED, UNTOUCHED),
                "data": some(BLOCKED, UNTOUCHED, UNTOUCHED),
                "value": some(OPEN, BLOCKED),
            }
        if story == Story.RESEARCH:
            return {"ownership": OPEN, "value": some(PASSED, OPEN)}
        # Awaiting decision: some gates proven, some open or blocked, and some whose
        # criteria nobody has looked at yet.
        states, weights = (PASSED, OPEN, BLOCKED, UNTOUCHED), (30, 20, 10, 40)
        plan = {key: rng.choices(states, weights)[0] for key in ALL_GATES}
        if story == Story.CONFLICTING:
            candidates = ("data", "integration", "adoption", "governance")
            if draft.pilot.risk_tier == RiskTier.LOW:
                candidates = ("integration", "value")
            for key in rng.sample(candidates, 2):
                plan[key] = BLOCKED
        return plan

    def _gates_add(self, rows: _Rows, draft: _Draft) -> None:
        """Evidence and sign-offs that make each gate what the plan says; the statuses
        themselves are derived later by readiness_refresh."""
        pilot = draft.pilot
        # From the pilot's start (or its proposal, for a start still to come) to the first
        # decision that closed or scaled it.
        window_start = min(pilot.pilot_start or pilot.stage_entered_on, pilot.stage_entered_on)
        decided = [on for s, on in zip(draft.path, draft.entered, strict=True) if s in (SC, ST, RE)]
        window_end = min(decided[0] if decided else self.today, self.today) - timedelta(days=1)
        window_start = min(window_start, window_end)
        objecting: list[str] = []  # functions already objecting: a second one differs
        for gate_key, state in self._gate_plan(draft).items():
            criteria = [c for c in self.criteria[gate_key] if c.applies_to(pilot.risk_tier)]
            if state == UNTOUCHED or not criteria:
                continue
            outcomes = self._criterion_outcomes(criteria, state, objecting)
            for criterion in criteria:
                self._criterion_rows_add(
                    rows, draft, criterion, outcomes[criterion.id], window_start, window_end
                )

    def _criterion_outcomes(
        self, criteria: list[Criterion], state: str, objecting: list[str]
    ) -> dict[int, str]:
        rng = self.rng
        # A passed gate has every required criterion met; an open or blocked one only some.
        met_share = 1 if state == PASSED else 0.6
        outcomes = {
            c.id: MET if rng.random() < (met_share if c.required else 0.15) else NOTHING
            for c in criteria
        }
        required = [c for c in criteria if c.required]
        if state == OPEN and required:
            for criterion in rng.sample(required, rng.randint(1, max(1, len(required) // 2))):
                options = [NOTHING, PENDING, REJECTED] + ([UNSIGNED] if criterion.function else [])
                outcomes[criterion.id] = rng.choice(options)
        elif state == BLOCKED:
            signed = [c for c in criteria if c.function]
            fresh = [c for c in signed if c.function not in objecting] or signed
            criterion = rng.choice(fresh)
            outcomes[criterion.id] = OBJECTED
            objecting.append(criterion.function)
        return outcomes

    def _criterion_rows_add(
        self,
        rows: _Rows,
        draft: _Draft,
        criterion: Criterion,
        outcome: str,
        start: date,
        end: date,
    ) -> None:
        if outcome == NOTHING:
            return
        rng, pilot = self.rng, draft.pilot
        evidence_text, rejection, objection = self.texts[criterion.id]
        submitter = pilot.deployment_owner or pilot.delivery_owner or pilot.sponsor
        reviewer = self.people[f"reviewer_{criterion.function or 'business'}"]
        limit = _at(end, 18, tz=self.tz)
        moment = _at(
            start + timedelta(days=rng.randint(0, (end - start).days)),
            rng.randint(8, 16),
            rng.choice((0, 15, 30, 45)),
            tz=self.tz,
        )

        def later() -> datetime:
            nonlocal moment
            moment = min(moment + timedelta(days=rng.randint(0, 6), hours=rng.randint(1, 5)), limit)
            return moment

        link = (
            f"https://wiki.{EMAIL_DOMAIN}/ai/{pilot.reference.lower()}/{criterion.gate.key}"
            if rng.random() < 0.3
            else ""
        )
        first_rejected = outcome == REJECTED or (outcome == MET and rng.random() < 0.05)
        if first_rejected:
            rows.evidence.append(
                Evidence(
                    pilot_id=pilot.id,
                    criterion_id=criterion.id,
                    text=evidence_text.format(**draft.context),
                    submitted_by_id=submitter.id,
                    submitted_at=moment,
                    status=EvidenceStatus.REJECTED,
                    reviewed_by_id=reviewer.id,
                    reviewed_at=later(),
                    review_comment=rejection.format(**draft.context),
                )
            )
            if outcome == REJECTED:
                return
            later()
        accepted = outcome != PENDING and not (outcome == OBJECTED and rng.random() < 0.3)
        rows.evidence.append(
            Evidence(
                pilot_id=pilot.id,
                criterion_id=criterion.id,
                text=evidence_text.format(**draft.context),
                link=link,
                submitted_by_id=submitter.id,
                submitted_at=moment,
                status=EvidenceStatus.ACCEPTED if accepted else EvidenceStatus.PENDING,
                reviewed_by_id=reviewer.id if accepted else None,
                reviewed_at=later() if accepted else None,
            )
        )
        if not criterion.function or outcome in (PENDING, UNSIGNED):
            return
        verdicts = [Verdict.OBJECTED] if outcome == OBJECTED else [Verdict.SIGNED_OFF]
        if outcome == MET and rng.random() < 0.05:  # an objection, resolved since
            verdicts.insert(0, Verdict.OBJECTED)
        for i, verdict in enumerate(verdicts):
            objected = verdict == Verdict.OBJECTED
            rows.signoffs.append(
                SignOff(
                    pilot_id=pilot.id,
                    criterion_id=criterion.id,
                    function=criterion.function,
                    verdict=verdict,
                    signed_by_id=reviewer.id,
                    signed_at=later(),
                    comment=(
                        objection.format(**draft.context)
                        if objected
                        else "Resolved at the follow-up meeting."
                        if i
                        else ""
                    ),
                )
            )


def _split(rng: random.Random, total: float, categories: Sequence[str]) -> dict[str, int]:
    """Spread a total over categories, in hundreds."""
    weights = [rng.uniform(0.5, 2) for _ in categories]
    scale = total / sum(weights)
    return {
        c: max(1, round(w * scale / 100)) * 100 for c, w in zip(categories, weights, strict=True)
    }
