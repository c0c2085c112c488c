"""PostgreSQL keeps leads_ownerstagecount true on every write to leads_lead, whoever makes it.

A change of owner or stage decrements one row and increments another; the two are always taken in the same
order (the smaller owner/stage key first), so two moves in opposite directions between the same two people
wait for each other instead of deadlocking. TRUNCATE empties the counts too. `leads_owner_stage_count_rebuild()`
recounts everything in one statement (this migration's first fill, and bulk loads that disable the trigger).
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION leads_owner_stage_count_add(owner bigint, stage_key varchar, delta integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF owner IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO leads_ownerstagecount (owner_id, stage, n) VALUES (owner, stage_key, GREATEST(delta, 0))
    ON CONFLICT (owner_id, stage) DO UPDATE SET n = leads_ownerstagecount.n + delta;
END;
$$;

CREATE FUNCTION leads_owner_stage_count_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM leads_owner_stage_count_add(NEW.owner_id, NEW.stage, 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM leads_owner_stage_count_add(OLD.owner_id, OLD.stage, -1);
    ELSIF (COALESCE(OLD.owner_id, 0), OLD.stage) < (COALESCE(NEW.owner_id, 0), NEW.stage) THEN
        PERFORM leads_owner_stage_count_add(OLD.owner_id, OLD.stage, -1);
        PERFORM leads_owner_stage_count_add(NEW.owner_id, NEW.stage, 1);
    ELSE
        PERFORM leads_owner_stage_count_add(NEW.owner_id, NEW.stage, 1);
        PERFORM leads_owner_stage_count_add(OLD.owner_id, OLD.stage, -1);
    END IF;
    RETURN NULL;
END;
$$;

-- DELETE, not TRUNCATE: a TRUNCATE of both tables in one statement (a test database's flush) would find
-- the counts table in use.
CREATE FUNCTION leads_owner_stage_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM leads_ownerstagecount;
    RETURN NULL;
END;
$$;

CREATE FUNCTION leads_owner_stage_count_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM leads_ownerstagecount;
    INSERT INTO leads_ownerstagecount (owner_id, stage, n)
    SELECT owner_id, stage, count(*) FROM leads_lead WHERE owner_id IS NOT NULL GROUP BY owner_id, stage;
$$;

CREATE TRIGGER leads_owner_stage_count_write AFTER INSERT OR DELETE ON leads_lead
    FOR EACH ROW EXECUTE FUNCTION leads_owner_stage_count_row();
CREATE TRIGGER leads_owner_stage_count_change AFTER UPDATE OF owner_id, stage ON leads_lead
    FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.stage IS DISTINCT FROM NEW.stage)
    EXECUTE FUNCTION leads_owner_stage_count_row();
CREATE TRIGGER leads_owner_stage_count_truncate AFTER TRUNCATE ON leads_lead
    FOR EACH STATEMENT EXECUTE FUNCTION leads_owner_stage_count_truncate();

SELECT leads_owner_stage_count_rebuild();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS leads_owner_stage_count_truncate ON leads_lead;
DROP TRIGGER IF EXISTS leads_owner_stage_count_change ON leads_lead;
DROP TRIGGER IF EXISTS leads_owner_stage_count_write ON leads_lead;
DROP FUNCTION IF EXISTS leads_owner_stage_count_rebuild();
DROP FUNCTION IF EXISTS leads_owner_stage_count_truncate();
DROP FUNCTION IF EXISTS leads_owner_stage_count_row();
DROP FUNCTION IF EXISTS leads_owner_stage_count_add(bigint, varchar, integer);
"""


class Migration(migrations.Migration):
    dependencies = [("leads", "0005_owner_stage_count")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
