# A cluster for the pipeline's TAP tests: pg_leadgen preloaded and
# installed in database postgres, the workers serving it.
#
#   my $node = LeadgenPipeline::node('name', "leadgen.workers = 0\n");
#   $node->safe_psql('postgres', q{SELECT leadgen.lead_submit(public.lead('a@example.com', NULL))});
#
# public.lead(email, phone, state DEFAULT 'CA'): the payload of a valid auto
# lead of Ana Lopez in CA (ZIP 94103) or TX (ZIP 75001), consented now;
# NULL email or phone left out.
package LeadgenPipeline;

use strict;
use warnings;
use PostgreSQL::Test::Cluster;

# node(NAME, CONF): CONF, more lines of postgresql.conf (workers, batch
# size, ...), after the ones every pipeline test needs.
sub node
{
	my ($name, $conf) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pg_leadgen,pg_stat_statements'\n"
					   . "leadgen.database = 'postgres'\n" . ($conf // ''));
	$node->start;
	$node->safe_psql('postgres', q{
    SET client_min_messages = warning;
    CREATE EXTENSION pg_leadgen CASCADE;
    CREATE FUNCTION public.lead(email text, phone text, st text DEFAULT 'CA') RETURNS jsonb LANGUAGE sql AS $$
        SELECT jsonb_strip_nulls(jsonb_build_object(
            'source', 'web_form', 'insurance_type', 'auto', 'first_name', 'Ana', 'last_name', 'Lopez',
            'email', email, 'phone', phone, 'date_of_birth', '1980-01-01',
            'zip_code', CASE st WHEN 'TX' THEN '75001' ELSE '94103' END, 'state', st, 'tcpa_consent', true,
            'consent_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
            'vehicles', '[{"year": 2019, "make": "Toyota", "model": "Camry"}]'::jsonb))
    $$;
});
	return $node;
}

1;
