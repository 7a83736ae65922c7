"""Local contract servers for HubSpot and Salesforce: small FastAPI apps that keep state and enforce the
documented behaviour the adapters depend on (written from the vendors' public docs, not from their spec files).
Start them with the fixtures in tests/contract_servers/fixtures.py."""
