"""Strategy diagnostics: questionnaires, runs, scoring, recommendations and data checks."""
