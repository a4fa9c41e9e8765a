DROP TABLE mod_analytics_goals_completed;
DROP TABLE mod_analytics_issues_done;
DROP TABLE mod_analytics_issue_starts;
DROP TABLE mod_analytics_agent_days;
DROP TABLE mod_analytics_agent_hours;
DROP TABLE mod_analytics_events;
