-- The newest 20 leads as one JSON document built by PostgreSQL: the query
-- behind GET /api/v1/leads?limit=20. pgbench runs this file as it is
-- (-M prepared); the Node servers read it and prepare it once per
-- connection.
SELECT json_build_object('data', coalesce(json_agg(t), '[]'::json)) FROM (SELECT id, external_id, broker_id, source, status, insurance_type, first_name, last_name, email, phone, date_of_birth, zip_code, city, state, quality_score, rejection_reasons, created_at, processed_at FROM leadgen.leads ORDER BY created_at DESC, id DESC LIMIT 20) t;
