"""ConnectWise Manage (PSA) REST API connector: companies, agreements, tickets, time entries."""
