"""CRM and webhook adapters. webhooks: the signed, retried outbox dispatcher."""
