"""Bulk import of leads (with their companies, contacts and touches) from CSV or JSON: a column mapping saved
per source, a dry run that says what each row would do, and the real run as a resumable Celery job."""
