// Checks the gateway's live answers against its OpenAPI document, so the
// two cannot drift apart.
//
//   node validate.js OPENAPI_JSON CAPTURE_DIR
//
// CAPTURE_DIR holds one answer per pair of files written by the gateway
// suite (gateway/tests/lib.sh, _record_answer): N.meta ("METHOD PATH
// STATUS CONTENT-TYPE") and N.body. For each answer the operation is found
// by the path templates of the document; the body must validate against
// the schema of that operation's response for the status (or "default"),
// after $refs are resolved. Prints one line per problem and, last, a line
// "checked N answers of M operations: K invalid, U undocumented statuses,
// operations never answered: ..." ; exits 1 when anything is wrong.
'use strict';

const fs = require('fs');
const path = require('path');
const Ajv = require('ajv');
const addFormats = require('ajv-formats');

const [docPath, captureDir] = process.argv.slice(2);
if (!docPath || !captureDir) {
    console.error('usage: node validate.js OPENAPI_JSON CAPTURE_DIR');
    process.exit(2);
}
const doc = JSON.parse(fs.readFileSync(docPath, 'utf8'));

// OpenAPI 3.0's "nullable: true" as JSON Schema: null is one more type.
function jsonSchema(node) {
    if (Array.isArray(node)) return node.map(jsonSchema);
    if (node === null || typeof node !== 'object') return node;
    const out = {};
    for (const [k, v] of Object.entries(node)) {
        if (k === 'example' || k === 'examples' || k === 'nullable' || k === 'xml' || k === 'externalDocs') continue;
        out[k] = (k === 'enum' || k === 'default') ? v : jsonSchema(v);
    }
    if (node.nullable === true) {
        // beside a composition, null is one more alternative to all of it
        if (out.$ref || out.allOf || out.oneOf || out.anyOf) return { anyOf: [out, { type: 'null' }] };
        if (typeof out.type === 'string') out.type = [out.type, 'null'];
        if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = out.enum.concat([null]);
    }
    return out;
}

function deref(obj) {
    while (obj && obj.$ref) {
        const parts = obj.$ref.replace(/^#\//, '').split('/').map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'));
        obj = parts.reduce((o, p) => (o ? o[p] : undefined), doc);
    }
    return obj;
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
// a $ref inside a schema points into the document: give it the id's base
function rebase(node) {
    if (Array.isArray(node)) return node.map(rebase);
    if (node === null || typeof node !== 'object') return node;
    const out = {};
    for (const [k, v] of Object.entries(node))
        out[k] = (k === '$ref' && typeof v === 'string' && v.startsWith('#/')) ? 'openapi' + v : rebase(v);
    return out;
}
ajv.addSchema({ $id: 'openapi', components: rebase(jsonSchema(doc.components || {})) });

// The operations, with a regular expression for each path template.
const ops = [];
for (const [tmpl, item] of Object.entries(doc.paths)) {
    const re = new RegExp('^' + tmpl.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}|\{[^}]+\}/g, '[^/]+') + '$');
    for (const method of ['get', 'post', 'put', 'delete', 'patch']) {
        if (item[method]) ops.push({ key: `${method.toUpperCase()} ${tmpl}`, method: method.toUpperCase(), re, op: item[method], seen: 0 });
    }
}
// a literal segment wins over a template ({id} after /batch)
ops.sort((a, b) => (b.key.split('{').length < a.key.split('{').length ? 1 : -1));

const validators = new Map();
function validatorFor(op, status, ctype) {
    const responses = op.op.responses || {};
    const resp = deref(responses[String(status)] || responses[`${String(status)[0]}XX`] || responses.default);
    if (!resp) return { undocumented: true };
    if (status === 304 || status === 204) return { skip: true };	// no body, and documented
    if (!ctype.startsWith('application/json')) return { skip: true };	// the metrics' text, the dashboard's HTML
    const content = resp.content || {};
    const media = Object.keys(content).find(m => ctype.startsWith(m));
    if (media === undefined) return { undocumented: true, why: `no ${ctype} content documented` };
    const schema = content[media].schema;
    if (!schema) return { skip: true };
    const k = `${op.key} ${status} ${media}`;
    if (!validators.has(k)) validators.set(k, ajv.compile(rebase(jsonSchema(schema))));
    return { validate: validators.get(k) };
}

let checked = 0;
let invalid = 0;
let undocumented = 0;
const files = fs.readdirSync(captureDir).filter(f => f.endsWith('.meta')).sort();
for (const f of files) {
    const meta = fs.readFileSync(path.join(captureDir, f), 'utf8').trim();
    const m = meta.match(/^(\S+) (\S+) (\d{3}) ?(.*)$/);
    if (!m) continue;
    const [, method, target, status, ctype] = m;
    const pathOnly = target.split('?')[0];
    const op = ops.find(o => o.method === method && o.re.test(pathOnly));
    if (!op) continue;	// a path the gateway does not have: its 404 is checked by the suite
    op.seen++;
    const v = validatorFor(op, Number(status), ctype.toLowerCase());
    if (v.skip) continue;
    if (v.undocumented) {
        undocumented++;
        console.log(`undocumented: ${method} ${target} answered ${status} (${v.why || 'status not in the document'})`);
        continue;
    }
    checked++;
    let body;
    try {
        body = JSON.parse(fs.readFileSync(path.join(captureDir, f.replace(/\.meta$/, '.body')), 'utf8'));
    } catch (e) {
        invalid++;
        console.log(`invalid: ${method} ${target} ${status}: the body is not JSON`);
        continue;
    }
    if (!v.validate(body)) {
        invalid++;
        const errs = v.validate.errors.slice(0, 3).map(e => `${e.instancePath || '/'} ${e.message}`).join('; ');
        console.log(`invalid: ${method} ${target} ${status} (${op.key}): ${errs}`);
    }
}
const never = ops.filter(o => o.seen === 0).map(o => o.key);
console.log(`checked ${checked} answers of ${ops.length} operations: ${invalid} invalid, ${undocumented} undocumented statuses, ` +
            `operations never answered: ${never.length ? never.join(', ') : 'none'}`);
process.exit(invalid || undocumented || never.length ? 1 : 0);
