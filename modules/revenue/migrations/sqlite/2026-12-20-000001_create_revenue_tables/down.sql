DROP TABLE mod_revenue_cost_days;
DROP TABLE mod_revenue_income_days;
DROP TABLE mod_revenue_costs;
DROP TABLE mod_revenue_income;
