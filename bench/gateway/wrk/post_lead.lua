-- wrk script: POST /api/v1/leads, the same lead again and again.
-- run.sh puts the lead's JSON in LEADGEN_BENCH_LEAD (after checking it
-- with leadgen.lead_check) and the API key on the command line
-- (-H "X-API-Key: ...").
local lead = os.getenv("LEADGEN_BENCH_LEAD")
if lead == nil or lead == "" then
   error("post_lead.lua: LEADGEN_BENCH_LEAD is not set")
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = lead
