// The route table of the gateway (leadgen-gateway --routes on stdin, one
// "METHOD /path/{}" a line) and gateway/openapi.json list the same
// operations: a route the document does not describe, or a documented
// operation no route serves, is a difference. Exit status 1 on any.
//
//   leadgen-gateway --routes | node routes.js openapi.json
'use strict';
const fs = require('fs');

const doc = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const documented = new Set();
for (const [tmpl, item] of Object.entries(doc.paths))
    for (const method of ['get', 'post', 'put', 'patch', 'delete'])
        if (item[method]) documented.add(`${method.toUpperCase()} ${tmpl.replace(/\{[^}]+\}/g, '{}')}`);

const routed = new Set(fs.readFileSync(0, 'utf8').split('\n').map(l => l.trim()).filter(Boolean));
const undocumented = [...routed].filter(r => !documented.has(r)).sort();
const unrouted = [...documented].filter(d => !routed.has(d)).sort();
for (const r of undocumented) console.log(`routed, not in openapi.json: ${r}`);
for (const d of unrouted) console.log(`in openapi.json, not routed: ${d}`);
console.log(`${routed.size} routes, ${documented.size} documented operations: ` +
            `${undocumented.length} undocumented, ${unrouted.length} unrouted`);
process.exit(undocumented.length || unrouted.length ? 1 : 0);
