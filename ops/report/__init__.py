"""The activity report: the anonymous funnel per campaign, by month, channel,
language, topic and outcome — read (figures), drawn (charts), exported (exports) and
shown to coordinators (views)."""
