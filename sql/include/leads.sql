-- Helpers of the pipeline tests (session-local, in pg_temp).
--
-- pg_temp.lead(overrides): a valid auto lead of CA, with a unique email and
-- phone, consent an hour old; overrides replace keys (JSON null deletes
-- nothing: it sets the key to null, which the rules read as absent).
-- pg_temp.verdict(payload): submit, process, and show the lead.
SET client_min_messages = warning;
CREATE SEQUENCE pg_temp.lead_seq;
CREATE FUNCTION pg_temp.lead(overrides jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE sql AS $$
    SELECT jsonb_build_object(
        'source', 'web_form', 'insurance_type', 'auto',
        'first_name', 'Ana', 'last_name', 'Lopez',
        'email', 'lead' || n || '@example.com',
        'phone', '(415) 555-' || lpad(n::text, 4, '0'),
        'date_of_birth', to_char(current_date - interval '30 years', 'YYYY-MM-DD'),
        'zip_code', '94103', 'state', 'CA', 'city', 'San Francisco',
        'tcpa_consent', true,
        'consent_at', to_char((now() - interval '1 hour') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'vehicles', jsonb_build_array(jsonb_build_object('year', 2019, 'make', 'Toyota', 'model', 'Camry'))
    ) || overrides
    FROM (SELECT nextval('pg_temp.lead_seq') AS n) s
$$;
CREATE FUNCTION pg_temp.verdict(payload jsonb)
RETURNS TABLE (status text, quality_score smallint, rejection_reasons text[])
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint := leadgen.lead_submit(payload);
BEGIN
    PERFORM leadgen.process_pending();
    RETURN QUERY SELECT l.status, l.quality_score, l.rejection_reasons FROM leadgen.leads l WHERE l.id = v_id;
END;
$$;
-- An ISO timestamp with zone, `ago` before now.
CREATE FUNCTION pg_temp.ts_ago(ago interval) RETURNS text
LANGUAGE sql AS $$
    SELECT to_char((now() - ago) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;
-- A date `ago` before today (UTC), as YYYY-MM-DD.
CREATE FUNCTION pg_temp.date_ago(ago interval) RETURNS text
LANGUAGE sql AS $$
    SELECT to_char((now() AT TIME ZONE 'UTC')::date - ago, 'YYYY-MM-DD')
$$;
RESET client_min_messages;
