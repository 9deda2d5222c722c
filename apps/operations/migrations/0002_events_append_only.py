"""Operation events are append-only: PostgreSQL refuses any UPDATE of an event row."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION operations_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'operation events are append-only (event % of operation %)', OLD.seq, OLD.operation_id;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER operations_event_no_update BEFORE UPDATE ON operations_operationevent
    FOR EACH ROW EXECUTE FUNCTION operations_event_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS operations_event_no_update ON operations_operationevent;
DROP FUNCTION IF EXISTS operations_event_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("operations", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
