"""Plans (KPI trees, targets, milestones, funnels), templates, scorecards and bottleneck reports."""
