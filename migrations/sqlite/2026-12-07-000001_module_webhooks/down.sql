DROP TABLE module_webhook_deliveries;
