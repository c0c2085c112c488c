"""The one door, held by the database too: a lead's stage may change only to the stage of its newest
transition row. The transition service inserts that row and then updates the lead; any other UPDATE of the
stage (a stale save(), a raw SQL statement, an admin edit) fails."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION leads_lead_stage_one_door() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    newest text;
BEGIN
    SELECT to_stage INTO newest FROM funnel_transition WHERE lead_id = NEW.id ORDER BY id DESC LIMIT 1;
    IF newest IS DISTINCT FROM NEW.stage THEN
        RAISE EXCEPTION 'lead % stage % does not match its newest transition (%): stages change only through a transition',
            NEW.id, NEW.stage, newest USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER leads_lead_stage_one_door
    BEFORE UPDATE OF stage ON leads_lead
    FOR EACH ROW WHEN (OLD.stage IS DISTINCT FROM NEW.stage)
    EXECUTE FUNCTION leads_lead_stage_one_door();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS leads_lead_stage_one_door ON leads_lead;
DROP FUNCTION IF EXISTS leads_lead_stage_one_door();
"""


class Migration(migrations.Migration):
    dependencies = [("funnel", "0003_transition_append_only"), ("leads", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
