"""The transition history is append-only in the database itself: UPDATE and DELETE fail whoever tries,
the ORM, the admin, a raw SQL session. (TRUNCATE stays possible for an operator resetting a database.)"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION funnel_transition_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'funnel_transition is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER funnel_transition_append_only
    BEFORE UPDATE OR DELETE ON funnel_transition
    FOR EACH ROW EXECUTE FUNCTION funnel_transition_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS funnel_transition_append_only ON funnel_transition;
DROP FUNCTION IF EXISTS funnel_transition_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("funnel", "0002_funnel_defaults")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
