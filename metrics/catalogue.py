"""The built-in metric catalogue, written to the database by migrations (``catalogue_sync``).

Ratios are fractions (0.15 = 15%); a multiple is how many times one amount is another
(LTV/CAC 5 = five times). MRR and customer counts are stocks (last value), visitors,
leads and other flows are summed, rates measured directly are levels (mean).
"""

# key, English name, Japanese name, unit, direction, aggregation, formula
H, L = "higher_is_better", "lower_is_better"
BUILTIN = [
    ("visitors", "Visitors", "訪問者数", "count", H, "sum", ""),
    ("leads", "Leads", "リード数", "count", H, "sum", ""),
    ("consultations", "Consultations", "商談数", "count", H, "sum", ""),
    ("new_customers", "New customers", "新規顧客数", "count", H, "sum", ""),
    ("paying_customers", "Paying customers", "有料顧客数", "count", H, "last", ""),
    ("trial_customers", "Trial customers", "トライアル顧客数", "count", H, "last", ""),
    ("churned_customers", "Churned customers", "解約顧客数", "count", L, "sum", ""),
    ("repeat_customers", "Repeat customers", "リピート顧客数", "count", H, "sum", ""),
    ("referrals", "Referrals", "紹介数", "count", H, "sum", ""),
    ("mrr", "MRR", "月次経常収益（MRR）", "money", H, "last", ""),
    ("arr", "ARR", "年間経常収益（ARR）", "money", H, "last", "mrr * 12"),
    ("revenue", "Revenue", "売上高", "money", H, "sum", ""),
    ("marketing_spend", "Marketing spend", "広告宣伝費", "money", L, "sum", ""),
    ("gross_margin", "Gross margin", "粗利率", "ratio", H, "avg", ""),
    ("arpa", "Average revenue per account", "顧客単価（ARPA）", "money", H, "avg", ""),
    ("ltv", "Customer lifetime value", "顧客生涯価値（LTV）", "money", H, "avg", ""),
    ("cac", "Customer acquisition cost", "顧客獲得単価（CAC）", "money", L, "avg", ""),
    ("ltv_cac", "LTV to CAC", "LTV/CAC", "multiple", H, "avg", "ltv / cac"),
    ("churn_rate", "Churn rate", "解約率", "ratio", L, "avg", ""),
    ("nps", "Net promoter score", "NPS", "score", H, "avg", ""),
    ("dau", "Daily active users", "日次アクティブユーザー数", "people", H, "avg", ""),
    ("retention_7d", "7-day retention", "7日継続率", "ratio", H, "avg", ""),
    ("retention_30d", "30-day retention", "30日継続率", "ratio", H, "avg", ""),
    ("upsell_rate", "Upsell rate", "アップセル率", "ratio", H, "avg", ""),
    ("cross_sell_rate", "Cross-sell rate", "クロスセル率", "ratio", H, "avg", ""),
    ("upper_plan_rate", "Upper-plan rate", "上位プラン移行率", "ratio", H, "avg", ""),
    ("option_rate", "Option attach rate", "オプション付帯率", "ratio", H, "avg", ""),
    ("repeat_rate", "Repeat rate", "リピート率", "ratio", H, "avg", ""),
    ("contract_months", "Contract length (months)", "平均契約期間（月）", "count", H, "avg", ""),
    ("sns_followers", "Social media followers", "SNSフォロワー数", "people", H, "last", ""),
    ("engagement_rate", "Engagement rate", "エンゲージメント率", "ratio", H, "avg", ""),
    ("automation_rate", "Automation rate", "自動化率", "ratio", H, "avg", ""),
    ("email_open_rate", "E-mail open rate", "メール開封率", "ratio", H, "avg", ""),
    ("email_click_rate", "E-mail click rate", "メールクリック率", "ratio", H, "avg", ""),
    ("lp_bounce_rate", "Landing-page bounce rate", "LP直帰率", "ratio", L, "avg", ""),
    ("sales_cycle_days", "Sales cycle", "商談期間（日）", "days", L, "avg", ""),
    ("uptime", "Uptime", "稼働率", "ratio", H, "avg", ""),
    ("error_rate", "Error rate", "エラー率", "ratio", L, "avg", ""),
    ("visit_to_lead", "Visit to lead", "訪問→リード転換率", "ratio", H, "avg", "leads / visitors"),
    (
        "lead_to_consultation",
        "Lead to consultation",
        "リード→商談転換率",
        "ratio",
        H,
        "avg",
        "consultations / leads",
    ),
    (
        "consultation_to_customer",
        "Consultation to customer",
        "商談→成約率",
        "ratio",
        H,
        "avg",
        "new_customers / consultations",
    ),
    (
        "overall_conversion",
        "Overall conversion",
        "全体転換率",
        "ratio",
        H,
        "avg",
        "new_customers / visitors",
    ),
]
FIELDS = ("key", "name", "name_ja", "unit", "direction", "aggregation", "formula")


def catalogue_sync(metric_model) -> None:
    """Create or update the built-in metrics (callable from a migration's historical model)."""
    for row in BUILTIN:
        values = dict(zip(FIELDS, row, strict=True))
        metric_model.objects.update_or_create(
            consultancy=None, key=values.pop("key"), defaults=values
        )
