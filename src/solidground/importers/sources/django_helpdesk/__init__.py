"""django-helpdesk REST API connector: queues as customers, tickets, follow-ups as time."""
