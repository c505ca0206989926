-- pg_temp.event_check(): every lead's pipeline event against the lead: the
-- status then, quality_score, rejection_reasons (when rejected), agent_id
-- (an assignment made by that batch), duplicate_of (when set), attempt 1.
CREATE FUNCTION pg_temp.event_check(OUT events_checked boolean, OUT differing bigint, OUT statuses bigint)
LANGUAGE sql AS $$
    SELECT count(*) > 0,
           count(*) FILTER (WHERE e.payload IS DISTINCT FROM jsonb_strip_nulls(jsonb_build_object(
               'status', substr(e.type, 6), 'quality_score', l.quality_score,
               'rejection_reasons', CASE WHEN cardinality(l.rejection_reasons) > 0 THEN to_jsonb(l.rejection_reasons) END,
               'agent_id', a.agent_id, 'duplicate_of', l.duplicate_of, 'attempt', 1))),
           count(DISTINCT e.type)
      FROM leadgen.events e
      JOIN leadgen.leads l ON e.entity_type = 'lead' AND e.entity_id = l.id AND e.source = 'pipeline'
      LEFT JOIN leadgen.lead_assignments a ON a.lead_id = l.id AND a.assigned_at = l.processed_at
$$;
