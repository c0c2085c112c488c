"""A version number for the funnel's configuration (stages, moves, rules, definitions), bumped by the
database itself on every change — through a service, the admin or raw SQL — so each process can cache the
configuration and re-read it only when the number moves. Numbers come from a sequence, which never rolls
back: a version number always stands for one state of the configuration."""

from django.db import migrations

TABLES = [
    "funnel_stage",
    "funnel_stagemove",
    "funnel_handoffrule",
    "funnel_leaddefinition",
    "funnel_leaddefinitionversion",
]

FORWARD = """
CREATE SEQUENCE funnel_config_version_seq;
CREATE TABLE funnel_config_version (id smallint PRIMARY KEY CHECK (id = 1), version bigint NOT NULL);
INSERT INTO funnel_config_version VALUES (1, nextval('funnel_config_version_seq'));
CREATE FUNCTION funnel_config_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE funnel_config_version SET version = nextval('funnel_config_version_seq') WHERE id = 1;
    RETURN NULL;
END;
$$;
""" + "".join(
    f"CREATE TRIGGER {table}_config_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION funnel_config_version_bump();\n"
    for table in TABLES
)
BACKWARD = (
    "".join(f"DROP TRIGGER IF EXISTS {table}_config_version ON {table};\n" for table in TABLES)
    + """
DROP FUNCTION IF EXISTS funnel_config_version_bump();
DROP TABLE IF EXISTS funnel_config_version;
DROP SEQUENCE IF EXISTS funnel_config_version_seq;
"""
)


class Migration(migrations.Migration):
    dependencies = [("funnel", "0005_handoffrule_sla_clock")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
