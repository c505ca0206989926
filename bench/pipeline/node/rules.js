'use strict';
// The lead rules of DOMAIN.md in JavaScript: eligibility (every rejection
// code, all failing codes in checking order, each once), normalization of
// email and phone, and the quality score. The Node peers of the pipeline
// benchmark run this for every lead, so that they do the same work as
// pg_leadgen's workers (src/validate.c, whose readings this port follows
// line by line: absent = missing, JSON null, wrong JSON type, or a string
// that is empty or only ASCII white space; present values are checked as
// they are, nothing is trimmed; every date and time is taken in UTC).
//
// One difference cannot be avoided: JSON.parse() reads 2019.0 as the
// integer 2019, so "must be a JSON integer" accepts 2019.0 here while
// pg_leadgen refuses it. The benchmark's data holds no such number.

const REASONS = [
  'MISSING_FIELD',
  'UNSUPPORTED_INSURANCE_TYPE',
  'INVALID_EMAIL',
  'INVALID_PHONE',
  'INVALID_ZIP',
  'INVALID_STATE',
  'ZIP_STATE_MISMATCH',
  'AGE_OUT_OF_RANGE',
  'INVALID_VEHICLE',
  'INVALID_PROPERTY',
  'INVALID_COVERAGE',
  'INVALID_BUSINESS',
  'NO_CONSENT',
  'STATE_NOT_SERVED',
];

const TYPES = ['auto', 'home', 'renters', 'life', 'health', 'commercial'];

const US_STATES = new Set([
  'AK', 'AL', 'AR', 'AZ', 'CA', 'CO', 'CT', 'DC', 'DE', 'FL',
  'GA', 'HI', 'IA', 'ID', 'IL', 'IN', 'KS', 'KY', 'LA', 'MA',
  'MD', 'ME', 'MI', 'MN', 'MO', 'MS', 'MT', 'NC', 'ND', 'NE',
  'NH', 'NJ', 'NM', 'NV', 'NY', 'OH', 'OK', 'OR', 'PA', 'RI',
  'SC', 'SD', 'TN', 'TX', 'UT', 'VA', 'VT', 'WA', 'WI', 'WV',
  'WY',
]);

// USPS allocation of 3-digit ZIP prefixes to the 50 states and DC
// (unallocated, territorial and military prefixes have no state).
const ZIP_RANGES = [
  [5, 5, 'NY'], [10, 27, 'MA'], [28, 29, 'RI'], [30, 38, 'NH'], [39, 49, 'ME'],
  [50, 54, 'VT'], [55, 55, 'MA'], [56, 59, 'VT'], [60, 69, 'CT'], [70, 89, 'NJ'],
  [100, 149, 'NY'], [150, 196, 'PA'], [197, 199, 'DE'], [200, 200, 'DC'],
  [201, 201, 'VA'], [202, 205, 'DC'], [206, 212, 'MD'], [214, 219, 'MD'],
  [220, 246, 'VA'], [247, 268, 'WV'], [270, 289, 'NC'], [290, 299, 'SC'],
  [300, 319, 'GA'], [320, 339, 'FL'], [341, 342, 'FL'], [344, 344, 'FL'],
  [346, 347, 'FL'], [349, 349, 'FL'], [350, 352, 'AL'], [354, 369, 'AL'],
  [370, 385, 'TN'], [386, 397, 'MS'], [398, 399, 'GA'], [400, 418, 'KY'],
  [420, 427, 'KY'], [430, 459, 'OH'], [460, 479, 'IN'], [480, 499, 'MI'],
  [500, 516, 'IA'], [520, 528, 'IA'], [530, 532, 'WI'], [534, 535, 'WI'],
  [537, 549, 'WI'], [550, 551, 'MN'], [553, 567, 'MN'], [569, 569, 'DC'],
  [570, 577, 'SD'], [580, 588, 'ND'], [590, 599, 'MT'], [600, 620, 'IL'],
  [622, 629, 'IL'], [630, 631, 'MO'], [633, 641, 'MO'], [644, 658, 'MO'],
  [660, 662, 'KS'], [664, 679, 'KS'], [680, 681, 'NE'], [683, 693, 'NE'],
  [700, 701, 'LA'], [703, 708, 'LA'], [710, 714, 'LA'], [716, 729, 'AR'],
  [730, 731, 'OK'], [733, 733, 'TX'], [734, 741, 'OK'], [743, 749, 'OK'],
  [750, 799, 'TX'], [800, 816, 'CO'], [820, 831, 'WY'], [832, 838, 'ID'],
  [840, 847, 'UT'], [850, 853, 'AZ'], [855, 857, 'AZ'], [859, 860, 'AZ'],
  [863, 865, 'AZ'], [870, 875, 'NM'], [877, 884, 'NM'], [885, 885, 'TX'],
  [889, 891, 'NV'], [893, 895, 'NV'], [897, 898, 'NV'], [900, 908, 'CA'],
  [910, 928, 'CA'], [930, 961, 'CA'], [967, 968, 'HI'], [970, 979, 'OR'],
  [980, 986, 'WA'], [988, 994, 'WA'], [995, 999, 'AK'],
];
const ZIP_STATE = new Array(1000).fill(null);
for (const [first, last, st] of ZIP_RANGES) {
  for (let p = first; p <= last; p++) ZIP_STATE[p] = st;
}

const DEFAULT_WEIGHTS = Object.freeze({
  base: 40,
  contact_both: 20,
  contact_one: 10,
  consent_24h: 15,
  consent_30d: 5,
  completeness: 10,
  sources: { referral: 15, web_form: 10, partner_api: 5 },
  cap: 100,
});

const USECS_PER_DAY = 86400 * 1e6;
const CONSENT_FRESH_US = 24 * 3600 * 1e6;

// ---- characters (ASCII only, as the C code) ----

function isSpace(c) {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';
}

// Unicode's White_Space (what isAbsent and normalizeEmail count as white
// space; phones keep the ASCII separators of isSpace)
function isWhiteSpace(c) {
  return isSpace(c) || /^[\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/.test(c);
}

function isDigit(c) {
  return c >= '0' && c <= '9';
}

function asciiLower(s) {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

// ---- reading a payload ----

function str(obj, key) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return null;
  const v = obj[key];
  return typeof v === 'string' ? v : null;
}

// A JSON number: {value, isInt}, or null when missing or of another type.
function num(obj, key) {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return null;
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  return { value: v, isInt: Number.isInteger(v) };
}

function obj(o, key) {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return null;
  const v = o[key];
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : null;
}

function arr(o, key) {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return null;
  const v = o[key];
  return Array.isArray(v) ? v : null;
}

function isAbsent(s) {
  if (s === null || s === undefined) return true;
  for (let i = 0; i < s.length; i++) if (!isWhiteSpace(s[i])) return false;
  return true;
}

// ---- normalizers ----

// Plausible email, lower-cased (ASCII letters only), or null.
function normalizeEmail(s) {
  if (Buffer.byteLength(s, 'utf8') >= 254 * 4 + 1) return null;
  let nAt = 0;
  let at = 0;
  for (let i = 0; i < s.length; i++) {
    if (isWhiteSpace(s[i])) return null;
    if (s[i] === '@') {
      nAt++;
      at = i;
    }
  }
  if ([...s].length > 254 || nAt !== 1 || at === 0) return null;
  const len = s.length;
  if (at + 1 >= len || s[at + 1] === '.' || s[len - 1] === '.') return null;
  let dotted = false;
  for (let i = at + 1; i < len; i++) {
    if (s[i] === '.') {
      if (s[i + 1] === '.') return null;
      dotted = true;
    }
  }
  if (!dotted) return null;
  return asciiLower(s);
}

// US (NANP) phone reduced to 10 digits, or null.
function normalizePhone(s) {
  let digits = '';
  let first = true;
  for (const c of s) {
    if (c === ' ' || c === '-' || c === '.' || c === '(' || c === ')') continue;
    if (c === '+' && first) {
      first = false;
      continue;
    }
    first = false;
    if (!isDigit(c) || digits.length === 11) return null;
    digits += c;
  }
  if (digits.length === 11 && digits[0] === '1') digits = digits.slice(1);
  if (digits.length !== 10 || digits[0] < '2' || digits[3] < '2') return null;
  return digits;
}

function isValidVin(s) {
  if (s === null || s.length !== 17) return false;
  for (const c of s) {
    if (isDigit(c)) continue;
    if (c < 'A' || c > 'Z' || c === 'I' || c === 'O' || c === 'Q') return false;
  }
  return true;
}

function isValidZip(s) {
  // five digits, or ZIP+4
  return /^[0-9]{5}(-[0-9]{4})?$/.test(s);
}

function normalizeState(s) {
  if (s.length !== 2) return null;
  const up = s.replace(/[a-z]/g, (c) => c.toUpperCase());
  return US_STATES.has(up) ? up : null;
}

// 'none' (absent), 'unsupported', or the lower-case type.
function parseType(s) {
  if (isAbsent(s)) return 'none';
  const low = asciiLower(s);
  return TYPES.includes(low) ? low : 'unsupported';
}

function zipState(zip) {
  if (!/^[0-9]{3}/.test(zip)) return null;
  return ZIP_STATE[Number(zip.slice(0, 3))];
}

// ---- calendar (proleptic Gregorian, UTC) ----

function isLeap(y) {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y, m) {
  return m === 2 && isLeap(y) ? 29 : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

function daysFromCivil(y, m, d) {
  const yy = y - (m <= 2 ? 1 : 0);
  const era = Math.trunc((yy >= 0 ? yy : yy - 399) / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.trunc((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.trunc(yoe / 4) - Math.trunc(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z) {
  z += 719468;
  const era = Math.trunc((z >= 0 ? z : z - 146096) / 146097);
  const doe = z - era * 146097;
  const yoe = Math.trunc((doe - Math.trunc(doe / 1460) + Math.trunc(doe / 36524) - Math.trunc(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.trunc(yoe / 4) - Math.trunc(yoe / 100));
  const mp = Math.trunc((5 * doy + 2) / 153);
  const d = doy - Math.trunc((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

function parseDatePrefix(s) {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})/.exec(s);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null;
  return { y, m: mo, d };
}

// Strict YYYY-MM-DD.
function parseDate(s) {
  if (s === null || s.length !== 10) return null;
  return parseDatePrefix(s);
}

// ISO 8601 timestamp with a zone, in microseconds since the Unix epoch.
function parseTimestamptz(s) {
  if (s === null || s.length < 20) return null;
  const date = parseDatePrefix(s);
  if (!date) return null;
  const m = /^.{10}[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$/.exec(s);
  if (!m) return null;
  const h = Number(m[1]);
  const mi = Number(m[2]);
  const sec = Number(m[3]);
  if (h > 23 || mi > 59 || sec > 60) return null;
  let frac = 0;
  if (m[4] !== undefined) frac = Number((m[4].slice(1) + '000000').slice(0, 6));
  let zsign = 0;
  let zh = 0;
  let zm = 0;
  if (m[5] !== 'Z') {
    zsign = m[5][0] === '-' ? -1 : 1;
    zh = Number(m[5].slice(1, 3));
    if (m[6] !== undefined) zm = Number(m[6].replace(':', ''));
    if (zh > 23 || zm > 59) return null;
  }
  const secs = daysFromCivil(date.y, date.m, date.d) * 86400 + h * 3600 + mi * 60 + sec -
    zsign * (zh * 3600 + zm * 60);
  return secs * 1e6 + frac;
}

function ageOn(by, bm, bd, y, m, d) {
  let age = y - by;
  if (bm === 2 && bd === 29 && !isLeap(y)) {
    bm = 3;
    bd = 1;
  }
  if (m < bm || (m === bm && d < bd)) age--;
  return age;
}

function ageInRange(type, age) {
  if (age < 0) return type === 'commercial';
  switch (type) {
    case 'auto': return age >= 16;
    case 'home':
    case 'renters': return age >= 18;
    case 'life': return age >= 18 && age <= 85;
    case 'health': return age < 65;
    default: return true;
  }
}

function isWhole(n) {
  return n !== null && n.isInt && n.value >= -1e15 && n.value <= 1e15 && Number.isInteger(n.value);
}

// ---- the rules ----

function vehiclesValid(vehicles, thisYear) {
  if (vehicles === null || vehicles.length < 1 || vehicles.length > 4) return false;
  for (const v of vehicles) {
    if (isAbsent(str(v, 'make')) || isAbsent(str(v, 'model'))) return false;
    const year = num(v, 'year');
    if (!isWhole(year)) return false;
    if (year.value < 1981 || year.value > thisYear + 1) return false;
  }
  return true;
}

function propertyValid(p, thisYear) {
  if (p === null) return false;
  const yb = num(p, 'year_built');
  if (!isWhole(yb)) return false;
  if (yb.value < 1800 || yb.value > thisYear) return false;
  const value = num(p, 'value');
  // present (not null) but no finite number: invalid, not absent
  if (value === null && p.value !== undefined && p.value !== null) return false;
  if (value !== null && (value.value < 10000 || value.value > 50000000)) return false;
  return true;
}

function coverageValid(payload) {
  const c = num(payload, 'coverage_amount');
  return c !== null && c.value >= 10000 && c.value <= 10000000;
}

function businessValid(b) {
  if (b === null) return false;
  const e = num(b, 'employees');
  return !isAbsent(str(b, 'name')) && isWhole(e) && e.value >= 1;
}

function completenessMet(payload, type, dobValid) {
  if (isAbsent(str(payload, 'city'))) return false;
  switch (type) {
    case 'auto':
      return arr(payload, 'vehicles').every((v) => isValidVin(str(v, 'vin')));
    case 'home':
      return num(obj(payload, 'property'), 'value') !== null;
    case 'life':
      return dobValid && num(payload, 'coverage_amount') !== null;
    default:
      return true;
  }
}

/*
 * validate(payload, nowUs, served, weights)
 *   payload: the lead as submitted (a parsed JSON object)
 *   nowUs:   processing time, microseconds since the Unix epoch
 *   served:  (state, type) => whether an active carrier serves it
 *   weights: the scoring weights (DEFAULT_WEIGHTS when omitted)
 * Returns {reasons: [codes in checking order], score, type, state, dob,
 *          emailNorm, phoneNorm} (normalized fields null when absent or
 *          invalid; type and state normalized when valid).
 */
function validate(payload, nowUs, served, weights = DEFAULT_WEIGHTS) {
  const reasons = [];
  const add = (code) => {
    if (!reasons.includes(code)) reasons.push(code);
  };
  const today = civilFromDays(Math.floor(nowUs / USECS_PER_DAY));

  const type = parseType(str(payload, 'insurance_type'));
  const typeSupported = type !== 'none' && type !== 'unsupported';
  const email = str(payload, 'email');
  const phone = str(payload, 'phone');
  const zip = str(payload, 'zip_code');
  const stateRaw = str(payload, 'state');
  const emailPresent = !isAbsent(email);
  const phonePresent = !isAbsent(phone);
  const zipPresent = !isAbsent(zip);
  const statePresent = !isAbsent(stateRaw);
  const emailNorm = emailPresent ? normalizeEmail(email) : null;
  const phoneNorm = phonePresent ? normalizePhone(phone) : null;
  const zipValid = zipPresent && isValidZip(zip);
  const state = statePresent ? normalizeState(stateRaw) : null;
  const dobText = str(payload, 'date_of_birth');
  const dob = isAbsent(dobText) ? null : parseDate(dobText);
  const consentText = str(payload, 'consent_at');
  const consentUs = isAbsent(consentText) ? null : parseTimestamptz(consentText);

  const dobRequired = type === 'auto' || type === 'life' || type === 'health';
  if (isAbsent(str(payload, 'source')) || type === 'none' ||
      isAbsent(str(payload, 'first_name')) || isAbsent(str(payload, 'last_name')) ||
      !zipPresent || !statePresent || (!emailPresent && !phonePresent) ||
      (dobRequired && dob === null)) {
    add('MISSING_FIELD');
  }
  if (type === 'unsupported') add('UNSUPPORTED_INSURANCE_TYPE');
  if (emailPresent && emailNorm === null) add('INVALID_EMAIL');
  if (phonePresent && phoneNorm === null) add('INVALID_PHONE');
  if (zipPresent && !zipValid) add('INVALID_ZIP');
  if (statePresent && state === null) add('INVALID_STATE');
  if (zipValid && state !== null && zipState(zip) !== state) add('ZIP_STATE_MISMATCH');
  if (typeSupported && dob !== null &&
      !ageInRange(type, ageOn(dob.y, dob.m, dob.d, today.y, today.m, today.d))) {
    add('AGE_OUT_OF_RANGE');
  }
  if (type === 'auto' && !vehiclesValid(arr(payload, 'vehicles'), today.y)) add('INVALID_VEHICLE');
  if (type === 'home' && !propertyValid(obj(payload, 'property'), today.y)) add('INVALID_PROPERTY');
  if (type === 'life' && !coverageValid(payload)) add('INVALID_COVERAGE');
  if (type === 'commercial' && !businessValid(obj(payload, 'business'))) add('INVALID_BUSINESS');
  if (payload.tcpa_consent !== true || consentUs === null || consentUs > nowUs ||
      nowUs - consentUs > 90 * USECS_PER_DAY) {
    add('NO_CONSENT');
  }
  if (state !== null && typeSupported && !served(state, type)) add('STATE_NOT_SERVED');

  const out = {
    reasons,
    score: 0,
    type: typeSupported ? type : null,
    state,
    dob,
    emailNorm,
    phoneNorm,
  };
  if (reasons.length > 0) return out;

  let score = weights.base;
  score += emailNorm !== null && phoneNorm !== null ? weights.contact_both : weights.contact_one;
  if (nowUs - consentUs <= CONSENT_FRESH_US) score += weights.consent_24h;
  else if (nowUs - consentUs <= 30 * USECS_PER_DAY) score += weights.consent_30d;
  const source = str(payload, 'source');
  if (!isAbsent(source) && Object.hasOwn(weights.sources, asciiLower(source))) {
    score += weights.sources[asciiLower(source)];
  }
  if (completenessMet(payload, type, dob !== null)) score += weights.completeness;
  out.score = Math.max(0, Math.min(score, weights.cap));
  return out;
}

// Weights from the rows of leadgen.scoring_weights (component, points);
// a component that is missing keeps its default.
function weightsFromRows(rows) {
  const w = { ...DEFAULT_WEIGHTS, sources: {} };
  for (const { component, points } of rows) {
    if (component.startsWith('source:')) w.sources[component.slice(7)] = points;
    else if (component in DEFAULT_WEIGHTS && component !== 'sources') w[component] = points;
  }
  return w;
}

module.exports = {
  REASONS,
  DEFAULT_WEIGHTS,
  validate,
  weightsFromRows,
  normalizeEmail,
  normalizePhone,
  isValidVin,
  parseDate,
  parseTimestamptz,
  zipState,
};
