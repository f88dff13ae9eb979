"""Plan templates that ship with Waypoint, in Japanese and English (pure Python).

Each builds a plan document relative to ``starts_on``: a twelve-month plan whose baselines sit in
the period before it starts. The numbers come from common Japanese consulting practice: they
are starting points a consultant edits, kept as that practice gives them even where
they disagree with each other — the diagnostics point such contradictions out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from metrics.periods import Granularity, Period

MONTH, YEAR = Granularity.MONTH, Granularity.YEAR
NEW_CUSTOMERS_FORMULA = "visitors * visit_to_lead * lead_to_consultation * consultation_to_customer"


@dataclass(frozen=True)
class PlanTemplate:
    key: str
    name: str
    name_ja: str
    description: str
    description_ja: str
    build: Callable[[date, str], dict]

    def document(self, *, starts_on: date, language: str, status: str = "draft") -> dict:
        document = self.build(starts_on, language)
        document.update(
            starts_on=starts_on.isoformat(),
            ends_on=month_end(starts_on, 12).isoformat(),
            status=status,
        )
        return document


def month_end(starts_on: date, month: int) -> date:
    """The last day of the plan's ``month``-th month (month 1 is the one holding starts_on)."""
    return Period.containing(MONTH, starts_on).shift(month - 1).end


def month(starts_on: date, offset: int) -> str:
    """The plan's month ``offset`` as a period (0: the month before the plan, the baseline)."""
    return str(Period.containing(MONTH, starts_on).shift(offset - 1))


def _t(language: str, en: str, ja: str) -> str:
    return ja if language == "ja" else en


def kpi(
    key,
    metric,
    baseline_period,
    baseline,
    must,
    stretch,
    target_period,
    *,
    parent=None,
    granularity="month",
    interpolation="linear",
    formula="",
    weight=1,
) -> dict:
    return {
        "key": key,
        "metric": metric,
        "parent": parent,
        "weight": weight,
        "baseline": {"period": baseline_period, "value": baseline},
        "must": must,
        "stretch": stretch,
        "target_period": target_period,
        "granularity": granularity,
        "interpolation": interpolation,
        "formula": formula,
    }


def event(key, name, due: date) -> dict:
    return {"key": key, "name": name, "due": due.isoformat(), "kind": "event"}


def state(key, name, due: date, *conditions) -> dict:
    return {
        "key": key,
        "name": name,
        "due": due.isoformat(),
        "kind": "state",
        "conditions": [
            {"metric": metric, "op": op, "value": value, "cumulative": cumulative}
            for metric, op, value, cumulative in conditions
        ],
    }


# --- 1. the first year of a new business


def _first_year(s: date, lang: str) -> dict:
    t = lambda en, ja: _t(lang, en, ja)  # noqa: E731
    m0, m12 = month(s, 0), month(s, 12)
    return {
        "name": t("First year of the business", "創業1年目の事業計画"),
        "vision": t(
            "Get from the first budget to steady orders and a first hire within twelve months.",
            "最初の予算づくりから、安定した受注と最初の採用までを12カ月で進める。",
        ),
        # Once orders are steady, what to watch: repeat purchases, and what a customer is worth
        # against what winning one costs.
        "kpis": [
            kpi("ltv_cac", "ltv_cac", m0, 1.67, 5, 10, m12),
            kpi("ltv", "ltv", m0, 50000, 100000, 150000, m12, parent="ltv_cac"),
            kpi("cac", "cac", m0, 30000, 20000, 15000, m12, parent="ltv_cac"),
            kpi("repeat_rate", "repeat_rate", m0, 0.10, 0.25, 0.35, m12),
        ],
        "milestones": [
            event("budget", t("Monthly budget set", "月次予算を立てる"), month_end(s, 1)),
            event(
                "paid-marketing",
                t("First results from paid marketing", "有料マーケティングで初めて成果が出る"),
                month_end(s, 1),
            ),
            event("first-sale", t("First sale", "初めて売上が立つ"), month_end(s, 1)),
            event(
                "first-complaint",
                t("First complaint handled well", "最初のクレームにきちんと対応する"),
                month_end(s, 3),
            ),
            event(
                "first-review",
                t("First customer review", "最初の顧客レビューを得る"),
                month_end(s, 3),
            ),
            event(
                "organic",
                t("Organic marketing starts to pay", "オーガニック施策の成果が出始める"),
                month_end(s, 3),
            ),
            event(
                "outsourcing",
                t("Work outside our expertise outsourced", "専門外の業務を外注する"),
                month_end(s, 3),
            ),
            event("steady-orders", t("Orders become steady", "受注が安定する"), month_end(s, 6)),
            event(
                "sales-spike", t("First sales spike", "初めて売上が大きく伸びる"), month_end(s, 6)
            ),
            event(
                "first-hire", t("First employee hired", "最初の従業員を採用する"), month_end(s, 12)
            ),
            event(
                "streamlined",
                t("Operations streamlined", "業務の効率化に取り組む"),
                month_end(s, 12),
            ),
        ],
        "funnels": [],
    }


# --- 2. twelve months of a B2B SaaS


def _b2b_saas(s: date, lang: str) -> dict:
    t = lambda en, ja: _t(lang, en, ja)  # noqa: E731
    m0, m12 = month(s, 0), month(s, 12)
    return {
        "name": t("B2B SaaS: MRR 1M JPY in 12 months", "BtoB SaaS:12カ月でMRR100万円"),
        "vision": t(
            "From first trials to thirty paying companies with low churn.",
            "トライアル導入から、解約の少ない有料30社へ。",
        ),
        "kpis": [
            kpi("mrr", "mrr", m0, 0, 1000000, 1500000, m12, weight=2),
            kpi("paying_customers", "paying_customers", m0, 0, 30, 45, m12, parent="mrr"),
            kpi("churn_rate", "churn_rate", m0, 0.08, 0.03, 0.02, m12, parent="mrr"),
        ],
        "milestones": [
            state(
                "m3",
                t("Three months: 10 trials, 3 paying", "3カ月後:トライアル10社・有料3社"),
                month_end(s, 3),
                ("trial_customers", "gte", 10, False),
                ("paying_customers", "gte", 3, False),
            ),
            state(
                "m6",
                t(
                    "Six months: 10 paying, MRR 300k, churn at most 5%",
                    "6カ月後:有料10社・MRR30万円・解約率5%以下",
                ),
                month_end(s, 6),
                ("paying_customers", "gte", 10, False),
                ("mrr", "gte", 300000, False),
                ("churn_rate", "lte", 0.05, False),
            ),
            state(
                "m12",
                t(
                    "Twelve months: 30 paying, MRR 1M, churn at most 3%",
                    "12カ月後:有料30社・MRR100万円・解約率3%以下",
                ),
                month_end(s, 12),
                ("paying_customers", "gte", 30, False),
                ("mrr", "gte", 1000000, False),
                ("churn_rate", "lte", 0.03, False),
            ),
        ],
        "funnels": [],
    }


# --- 3. an automated customer-acquisition business


def _acquisition(s: date, lang: str) -> dict:
    t = lambda en, ja: _t(lang, en, ja)  # noqa: E731
    m0, m12 = month(s, 0), month(s, 12)
    quarters = [
        (3, 2000000, 25, 1500),
        (6, 4000000, 50, 3000),
        (9, 6000000, 75, 4500),
        (12, 8330000, 100, 6000),
    ]
    return {
        "name": t(
            "KGI plan: ARR 100M JPY by automated acquisition", "KGI計画:自動顧客獲得でARR1億円"
        ),
        "vision": t(
            "Combine sales funnels into an automated acquisition system that makes our clients "
            "grow fast.",
            "セールスファネルを組み合わせた自動顧客獲得の仕組みで、クライアントの急成長を実現する。",
        ),
        "kpis": [
            kpi("arr", "arr", m0, 12000000, 100000000, 150000000, m12, weight=2),
            kpi("mrr", "mrr", m0, 1000000, 8330000, 12500000, m12, parent="arr"),
            kpi("leads", "leads", m0, 200, 500, 750, m12, parent="mrr"),
            kpi("new_customers", "new_customers", m0, 3, 10, 15, m12, parent="mrr"),
            kpi("ltv_cac", "ltv_cac", m0, 2.5, 5, 8, m12),
            kpi("ltv", "ltv", m0, 1000000, 1500000, 2000000, m12, parent="ltv_cac"),
            kpi("cac", "cac", m0, 400000, 300000, 250000, m12, parent="ltv_cac"),
        ],
        "milestones": [
            state(
                f"q{index}",
                t(f"Q{index}: MRR {mrr:,} JPY", f"Q{index}:MRR{mrr // 10000}万円"),
                month_end(s, m),
                ("mrr", "gte", mrr, False),
                ("new_customers", "gte", customers, True),
                ("leads", "gte", leads, True),
            )
            for index, (m, mrr, customers, leads) in enumerate(quarters, start=1)
        ],
        "funnels": [
            {
                "key": "acquisition",
                "name": t("Acquisition funnel", "顧客獲得ファネル"),
                "stages": [
                    {"name": t("Visitors", "訪問者"), "metric": "visitors"},
                    {"name": t("Leads", "リード"), "metric": "leads", "target_conversion": 0.15},
                    {
                        "name": t("Consultations", "個別相談"),
                        "metric": "consultations",
                        "target_conversion": 0.25,
                    },
                    {
                        "name": t("Customers", "成約"),
                        "metric": "new_customers",
                        "target_conversion": 0.80,
                    },
                ],
            },
        ],
    }


# --- 4. a KPI tree for tripling sales


def _sales_x3(s: date, lang: str) -> dict:
    t = lambda en, ja: _t(lang, en, ja)  # noqa: E731
    m0, m12 = month(s, 0), month(s, 12)
    target_year = Period.containing(YEAR, month_end(s, 12))
    base_year = target_year.previous()

    def driver(key, metric, before, after):
        # The source's before -> after is the stretch; must is halfway.
        must = round(before + (after - before) / 2, 6)
        return kpi(key, metric, m0, before, must, after, m12, parent="revenue")

    return {
        "name": t(
            "Sales x3: an unreasonable goal, worked backwards", "売上3倍:非常識な目標から逆算する"
        ),
        "vision": t(
            "Triple annual revenue by working every driver backwards from the goal.",
            "年間売上3倍の目標から、各ドライバーの数値を逆算する。",
        ),
        "kpis": [
            kpi(
                "revenue",
                "revenue",
                str(base_year),
                300000000,
                450000000,
                900000000,
                str(target_year),
                granularity="year",
                weight=3,
            ),
            # New customers = visitors x the three conversion rates: the tree is arithmetic here.
            # Baseline 10,000 x 2% x 5% x 20% = 2; stretch 50,000 x 5% x 15% x 35% = 131.25;
            # must 30,000 x 3.5% x 10% x 27.5% = 28.875 a month.
            kpi(
                "new_customers",
                "new_customers",
                m0,
                2,
                28.875,
                131.25,
                m12,
                parent="revenue",
                formula=NEW_CUSTOMERS_FORMULA,
            ),
            kpi("visitors", "visitors", m0, 10000, 30000, 50000, m12, parent="new_customers"),
            kpi(
                "visit_to_lead", "visit_to_lead", m0, 0.02, 0.035, 0.05, m12, parent="new_customers"
            ),
            kpi(
                "lead_to_consultation",
                "lead_to_consultation",
                m0,
                0.05,
                0.10,
                0.15,
                m12,
                parent="new_customers",
            ),
            kpi(
                "consultation_to_customer",
                "consultation_to_customer",
                m0,
                0.20,
                0.275,
                0.35,
                m12,
                parent="new_customers",
            ),
            driver("contract_months", "contract_months", 12, 36),
            driver("cross_sell_rate", "cross_sell_rate", 0.15, 0.40),
            driver("churn_rate", "churn_rate", 0.15, 0.05),
            driver("upper_plan_rate", "upper_plan_rate", 0.20, 0.50),
            driver("option_rate", "option_rate", 0.30, 0.60),
        ],
        "milestones": [],
        "funnels": [],
    }


# --- 5. the customer journey


def _journey(s: date, lang: str) -> dict:
    t = lambda en, ja: _t(lang, en, ja)  # noqa: E731
    m0, m12 = month(s, 0), month(s, 12)
    return {
        "name": t("Customer journey: encounter to fan", "顧客の旅:出会いからファン化まで"),
        "vision": t(
            "Split the work into encounter, contract, repeat and fan, measure each stage, and "
            "widen the narrowest one first.",
            "仕事の流れを出会い・契約・リピート・ファン化に分け、各段階を数値で見て、"
            "いちばん細いところから広げる。",
        ),
        "kpis": [
            kpi("new_customers", "new_customers", m0, 10, 20, 30, m12),
            kpi("repeat_rate", "repeat_rate", m0, 0.20, 0.35, 0.50, m12),
        ],
        "milestones": [],
        "funnels": [
            {
                "key": "journey",
                "name": t("Customer journey", "顧客の旅"),
                "stages": [
                    {"name": t("Encounter", "出会い"), "metric": "leads"},
                    {
                        "name": t("Contract", "契約"),
                        "metric": "new_customers",
                        "target_conversion": 0.20,
                    },
                    {
                        "name": t("Repeat", "リピート"),
                        "metric": "repeat_customers",
                        "target_conversion": 0.40,
                    },
                    {
                        "name": t("Fan", "ファン化"),
                        "metric": "referrals",
                        "target_conversion": 0.30,
                    },
                ],
            },
        ],
    }


TEMPLATES = {
    template.key: template
    for template in [
        PlanTemplate(
            "first-year",
            "First year of a new business",
            "創業1年目のマイルストーン",
            "Eleven milestones from the first budget to the first hire, and the KPIs to watch "
            "once orders are steady (repeat rate, LTV against CAC).",
            "最初の予算から最初の採用までの11のマイルストーンと、受注が安定してから見るKPI"
            "（リピート率、LTVとCAC）。",
            _first_year,
        ),
        PlanTemplate(
            "b2b-saas-12m",
            "12-month B2B SaaS plan",
            "BtoB SaaS 12カ月計画",
            "MRR 1M JPY in a year: trials and paying customers at 3, 6 and 12 months with churn "
            "limits.",
            "1年でMRR100万円:3・6・12カ月のトライアル数・有料社数と解約率の上限。",
            _b2b_saas,
        ),
        PlanTemplate(
            "automated-acquisition",
            "KGI plan for automated customer acquisition",
            "自動顧客獲得事業のKGI計画",
            "ARR 100M JPY with LTV/CAC of 5 or more, monthly leads and new customers, quarterly "
            "milestones and a visitor → lead → consultation → customer funnel.",
            "ARR1億円・LTV/CAC5以上、月次のリードと新規顧客、四半期マイルストーン、"
            "訪問者→リード→個別相談→成約のファネル。",
            _acquisition,
        ),
        PlanTemplate(
            "sales-x3",
            "KPI tree for tripling sales",
            "売上3倍のKPIツリー",
            "Annual revenue with must x1.5 and stretch x3, and the drivers under it: visitors "
            "times conversion rates, contract length, cross-sell, churn, plan and option rates.",
            "年間売上(必達1.5倍・挑戦3倍)と、その下のドライバー:訪問者×各転換率、契約期間、"
            "クロスセル、解約率、上位プラン・オプション率。",
            _sales_x3,
        ),
        PlanTemplate(
            "customer-journey",
            "Customer journey: encounter → contract → repeat → fan",
            "顧客の旅:出会い→契約→リピート→ファン化",
            "The journey as a funnel with a target conversion for each stage.",
            "各段階に目標転換率を持つファネルとしての顧客の旅。",
            _journey,
        ),
    ]
}
