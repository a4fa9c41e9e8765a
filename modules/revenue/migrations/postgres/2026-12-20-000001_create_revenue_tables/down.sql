DROP TABLE mod_revenue_costs;
DROP TABLE mod_revenue_income;
