"""Inserted and deleted leads are counted once per statement, not once per row.

A row trigger updated the same (owner, stage) count once for each lead a COPY or a multi-row INSERT wrote, and
each of those updates walks every version of the row the transaction wrote before it: an import chunk of 1,000
leads for one owner made 1,000 versions and ~500,000 version visits. The statement trigger reads the statement's
rows (a transition table) and writes each count once, in (owner, stage) order like the row trigger, so the two
never deadlock. Updates (a move, a reassignment: one row each) keep the row trigger of 0006.
"""

from django.db import migrations

FORWARD = """
DROP TRIGGER leads_owner_stage_count_write ON leads_lead;

CREATE FUNCTION leads_owner_stage_count_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO leads_ownerstagecount (owner_id, stage, n)
        SELECT owner_id, stage, count(*) FROM written WHERE owner_id IS NOT NULL
        GROUP BY owner_id, stage ORDER BY owner_id, stage
        ON CONFLICT (owner_id, stage) DO UPDATE SET n = leads_ownerstagecount.n + EXCLUDED.n;
    ELSE
        UPDATE leads_ownerstagecount c SET n = c.n - gone.n
        FROM (
            SELECT owner_id, stage, count(*) AS n FROM written WHERE owner_id IS NOT NULL GROUP BY owner_id, stage
        ) gone
        WHERE c.owner_id = gone.owner_id AND c.stage = gone.stage;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER leads_owner_stage_count_insert AFTER INSERT ON leads_lead
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION leads_owner_stage_count_statement();
CREATE TRIGGER leads_owner_stage_count_delete AFTER DELETE ON leads_lead
    REFERENCING OLD TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION leads_owner_stage_count_statement();
"""

BACKWARD = """
DROP TRIGGER leads_owner_stage_count_delete ON leads_lead;
DROP TRIGGER leads_owner_stage_count_insert ON leads_lead;
DROP FUNCTION leads_owner_stage_count_statement();
CREATE TRIGGER leads_owner_stage_count_write AFTER INSERT OR DELETE ON leads_lead
    FOR EACH ROW EXECUTE FUNCTION leads_owner_stage_count_row();
"""


class Migration(migrations.Migration):
    dependencies = [("leads", "0009_imports")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
