'use strict';
// What the Express and Fastify servers share: a pool of 16 connections and
// the list query of ../sql/list_leads.sql as a named (prepared) statement.
// The connection comes from the usual libpq variables (PGHOST, PGPORT,
// PGUSER, PGDATABASE), which run.sh sets.
const fs = require('fs');
const path = require('path');
const pg = require('pg');

const listSql = fs.readFileSync(path.join(__dirname, '..', 'sql', 'list_leads.sql'), 'utf8')
  .split('\n')
  .filter((line) => !line.startsWith('--'))
  .join('\n')
  .trim()
  .replace(/;$/, '');

// node-postgres parses json columns into objects by default. The servers
// pass on the text PostgreSQL built, so json (oid 114) stays a string.
const JSON_OID = 114;
const types = {
  getTypeParser(oid, format) {
    if (oid === JSON_OID) return (value) => value;
    return pg.types.getTypeParser(oid, format);
  },
};

const pool = new pg.Pool({ max: 16, types });

async function listLeads() {
  const result = await pool.query({ name: 'list_leads', text: listSql, rowMode: 'array' });
  return result.rows[0][0];
}

module.exports = { pool, listLeads };
