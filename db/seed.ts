/**
 * Deterministic synthetic telecom data for the reference schema (`lethe db seed`).
 *
 * The same (accounts, seed, now) always yields the same rows with the same ids on every
 * engine: all randomness comes from one seeded sfc32 generator per stream, all instants are
 * millisecond arithmetic on `now`, and rows are generated in a fixed order. Nothing reads the
 * real clock, so a test can pin `now` and know exactly which side of each retention period
 * every row lies on.
 *
 * Rows are generated account by account into per-table buffers and flushed, parents first,
 * in one transaction every few thousand rows, so memory stays flat however many accounts are
 * asked for, and a flush never holds a child whose parent is still unwritten.
 *
 * Filling indexed tables is index-bound: every flush dirties most leaf pages of each clock index.
 * For a large seed, create the tables with `createReferenceSchema(adapter, { indexes: false })`,
 * seed, then call `createReferenceIndexes` (about 4x faster for 50,000 accounts on SQLite).
 *
 * Every name, address and number is fictional: reserved example domains, documentation IP
 * ranges, and drama/fiction telephone ranges (Ofcom, NANP 555-01xx, ACMA 5550).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Kysely } from 'kysely';
import { StoreError, UsageError } from '../src/errors.js';
import type { Adapter } from '../src/store/types.js';
import { REFERENCE_TABLES } from './reference-schema.js';

export interface SeedOptions {
  /** Accounts to create, spread round-robin over the five providers. */
  accounts: number;
  /** Any safe integer; a different seed gives different (but equally shaped) data. */
  seed: number;
  /** The instant every generated time is relative to. */
  now: Date;
  /** Where to write a small fake WAV file for every media_path; null writes none. */
  mediaRoot: string | null;
  /** Called after each flush with a table and the rows written to it so far. */
  onProgress?: (table: string, rows: number) => void;
  /** Called as accounts are generated (every 500, and at the last), for a progress line with an ETA. */
  onAccounts?: (done: number, total: number) => void;
}

type Row = Record<string, unknown>;
type ProviderId = 'loopup' | 'cloudcall' | 'ringu' | 'loop' | 'pipcall';

const PROVIDERS: readonly { id: ProviderId; name: string }[] = [
  { id: 'loopup', name: 'LoopUp' },
  { id: 'cloudcall', name: 'CloudCall' },
  { id: 'ringu', name: 'ring-u' },
  { id: 'loop', name: 'Loop (The One Point)' },
  { id: 'pipcall', name: 'PiPcall (Assuract Limited)' },
];

/** Buffered rows (all tables together) that trigger a flush: one transaction each. */
const FLUSH_ROWS = 5_000;
/** Bound parameters per INSERT, below SQLite's 32766 and far below PostgreSQL/MySQL's 65535. */
const MAX_PARAMS = 30_000;
const MAX_ROWS_PER_STATEMENT = 999;

const SECOND = 1_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** A canonical 44-byte PCM WAV header with an empty data chunk: enough for a file to exist and look like audio. */
const WAV_HEADER: Buffer = (() => {
  const b = Buffer.alloc(44);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36, 4);
  b.write('WAVE', 8, 'ascii');
  b.write('fmt ', 12, 'ascii');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(16000, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(0, 40);
  return b;
})();

/**
 * sfc32, seeded through splitmix32. Small, fast, and identical on every platform because it
 * uses only 32-bit integer operations; `stream` separates independent sequences of one seed.
 */
class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number, stream: number) {
    let s = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) >>> 0, 0x9e3779b1) ^ Math.imul(stream, 0x85ebca6b);
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.uint32() / 4_294_967_296;
  }

  /** An integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** An instant in [lo, hi] on a whole second from lo; lo itself when the range is empty. */
  between(lo: number, hi: number): number {
    if (hi <= lo) return lo;
    return lo + this.int(0, Math.floor((hi - lo) / SECOND)) * SECOND;
  }

  /** An instant between `minDays` and `maxDays` days before `from`. */
  daysBefore(from: number, minDays: number, maxDays: number): number {
    return from - this.int(minDays * 86_400, maxDays * 86_400) * SECOND;
  }

  hex(chars: number): string {
    let out = '';
    while (out.length < chars) out += this.uint32().toString(16).padStart(8, '0');
    return out.slice(0, chars);
  }

  base64(bytes: number): string {
    const b = Buffer.alloc(bytes);
    for (let i = 0; i < bytes; i++) b[i] = this.int(0, 255);
    return b.toString('base64').replace(/=+$/, '');
  }
}

// ---------------------------------------------------------------------------------------
// Account life stages. They are assigned by position, not at random, so every provider
// has accounts on both sides of each of its periods as soon as it has 20 accounts (the
// first 5 positions already cover every stage). Ranges keep a few days clear of each
// boundary, so "12 months" counted on any calendar (365 or 366 days, any time zone) puts
// a row on the same side.
// ---------------------------------------------------------------------------------------

type Stage =
  | 'active' // not terminated; contract open-ended or ending in the future
  | 'recent' // terminated 1–26 days ago: inside pipcall's 1 month
  | 'months' // terminated 35–330 days ago: past 1 month, inside 12 months
  | 'years' // terminated 372 days – 2520 days ago: past 12 months, inside 84 months
  | 'ancient' // terminated 2570–3650 days ago: past 84 months
  | 'future' // loop: contract ends 7–900 days ahead
  | 'open' // loop: no contract end
  | 'endedRecent' // loop: contract ended 3–140 days ago, inside 6 months
  | 'endedNearSix' // loop: contract ended 6 months ± 5 weeks ago, alternating sides
  | 'endedLong'; // loop: contract ended 225–1800 days ago

const STAGES: readonly Stage[] = [
  'active', 'recent', 'months', 'years', 'ancient',
  'active', 'months', 'years', 'ancient', 'active',
  'months', 'years', 'active', 'recent', 'ancient',
  'active', 'months', 'years', 'active', 'active',
];

const LOOP_STAGES: readonly Stage[] = [
  'future', 'endedRecent', 'endedNearSix', 'endedLong', 'open',
  'future', 'endedNearSix', 'endedRecent', 'endedLong', 'future',
  'endedNearSix', 'endedLong', 'future', 'endedRecent', 'open',
  'future', 'endedNearSix', 'endedLong', 'endedRecent', 'future',
];

interface Life {
  created: number;
  terminated: number | null;
  contractEnds: number | null;
}

function lifeFor(stage: Stage, occurrence: number, rng: Rng, now: number): Life {
  const terminatedDaysAgo = (lo: number, hi: number): Life => {
    const terminated = rng.daysBefore(now, lo, hi);
    return { created: rng.daysBefore(terminated, 60, 2200), terminated, contractEnds: null };
  };
  const contractEndedDaysAgo = (lo: number, hi: number): Life => {
    // Loop ends service when the contract ends, so both clocks agree.
    const ended = rng.daysBefore(now, lo, hi);
    return { created: rng.daysBefore(ended, 180, 1500), terminated: ended, contractEnds: ended };
  };
  switch (stage) {
    case 'active': {
      const created = rng.daysBefore(now, 30, 2900);
      return { created, terminated: null, contractEnds: rng.chance(0.5) ? null : now + rng.int(30 * 86_400, 720 * 86_400) * SECOND };
    }
    case 'recent':
      return terminatedDaysAgo(1, 26);
    case 'months':
      return terminatedDaysAgo(35, 330);
    case 'years':
      return terminatedDaysAgo(372, 2520);
    case 'ancient':
      return terminatedDaysAgo(2570, 3650);
    case 'future':
      return { created: rng.daysBefore(now, 30, 1500), terminated: null, contractEnds: now + rng.int(7 * 86_400, 900 * 86_400) * SECOND };
    case 'open':
      return { created: rng.daysBefore(now, 30, 1500), terminated: null, contractEnds: null };
    case 'endedRecent':
      return contractEndedDaysAgo(3, 140);
    case 'endedNearSix':
      // Six calendar months are 181–184 days; alternate sides so both are always populated.
      return occurrence % 2 === 0 ? contractEndedDaysAgo(150, 178) : contractEndedDaysAgo(187, 216);
    case 'endedLong':
      return contractEndedDaysAgo(225, 1800);
  }
}

// ---------------------------------------------------------------------------------------
// Fictional personal data.
// ---------------------------------------------------------------------------------------

const FIRST = [
  'Alice', 'Bilal', 'Chloe', 'Dmitri', 'Elena', 'Farah', 'George', 'Hana', 'Ian', 'Jia', 'Kwame', 'Laura', 'Mateo',
  'Nadia', 'Oliver', 'Priya', 'Quentin', 'Rosa', 'Samir', 'Tomasz', 'Uma', 'Victor', 'Wen', 'Ximena', 'Yusuf', 'Zoe',
] as const;
const LAST = [
  'Adams', 'Baker', 'Chen', 'Dubois', 'Evans', 'Fischer', 'Garcia', 'Hughes', 'Ibrahim', 'Jones', 'Kowalski', 'Lopez',
  'Murphy', 'Nakamura', 'Okafor', 'Patel', 'Quinn', 'Rossi', 'Singh', 'Taylor', 'Ueda', 'Varga', 'Walsh', 'Xu', 'Young',
  'Zielinski',
] as const;
const COMPANY = [
  'Northwind', 'Contoso', 'Fabrikam', 'Tailspin Toys', 'Wingtip', 'Litware', 'Adventure Works', 'Proseware', 'Lamna Healthcare',
  'Fourth Coffee', 'Woodgrove', 'Alpine Ski House', 'Blue Yonder', 'Trey Research', 'Coho Vineyard',
] as const;
const COMPANY_SUFFIX = ['Ltd', 'plc', 'LLC', 'Pty Ltd', 'Inc'] as const;
const CONTACT_SOURCES = ['manual', 'import', 'name_resolution', 'crm_sync'] as const;
const CONFERENCE_TITLES = ['Weekly sync', 'Board update', 'Client kick-off', 'Quarterly review', 'Sales pipeline', 'Incident bridge', 'Project stand-up'] as const;
const TICKET_SUBJECTS = [
  'Cannot hear caller on outbound calls', 'Voicemail PIN reset', 'Number porting request', 'Invoice query',
  'Conference bridge dropped', 'Call recording missing', 'Add a new user', 'Wrong caller ID shown',
] as const;
const WEB_PATHS = [
  '/', '/pricing', '/features/conferencing', '/signup', '/support/voicemail', '/blog/hybrid-work', '/contact', '/login',
  '/pricing?utm_source=newsletter', '/signup?plan=trial',
] as const;
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36',
] as const;
const US_AREAS = ['202', '212', '312', '415', '617', '646', '718'] as const;
const UK_LANDLINES = ['+44207946', '+44161496', '+44113496'] as const;
const AU_AREAS = ['2', '3', '7', '8'] as const;
const IPV4_NETS = ['192.0.2.', '198.51.100.', '203.0.113.'] as const;

interface Person {
  first: string;
  last: string;
}

class Faker {
  constructor(
    private readonly rng: Rng,
    /** Shared by every Faker of one run, so no two generated addresses are the same. */
    private readonly serial: { n: number },
  ) {}

  person(): Person {
    return { first: this.rng.pick(FIRST), last: this.rng.pick(LAST) };
  }

  /** firstname.lastname<N>@example.(com|net|org); N is a run-wide serial, so addresses never repeat. */
  email(p: Person, domain = 'example.com'): string {
    this.serial.n += 1;
    return `${p.first}.${p.last}${this.serial.n}@${domain}`.toLowerCase();
  }

  company(): string {
    return `${this.rng.pick(COMPANY)} ${this.rng.pick(COMPANY_SUFFIX)}`;
  }

  /** E.164 in ranges reserved for fiction: UK 60%, US 25%, Australia 15%. */
  phone(): string {
    const r = this.rng.next();
    if (r < 0.4) return `+447700900${this.digits(3)}`;
    if (r < 0.6) return `${this.rng.pick(UK_LANDLINES)}0${this.digits(3)}`;
    if (r < 0.85) return `+1${this.rng.pick(US_AREAS)}55501${this.digits(2)}`;
    return `+61${this.rng.pick(AU_AREAS)}5550${this.digits(4)}`;
  }

  ip(): string {
    if (this.rng.chance(0.7)) return `${this.rng.pick(IPV4_NETS)}${this.rng.int(1, 254)}`;
    const h = (): string => this.rng.int(0, 0xffff).toString(16);
    return `2001:db8:${h()}:${h()}::${h()}`;
  }

  dateOfBirth(): string {
    const y = this.rng.int(1950, 2004);
    const m = this.rng.int(1, 12);
    const d = this.rng.int(1, 28);
    return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  }

  private digits(n: number): string {
    return String(this.rng.int(0, 10 ** n - 1)).padStart(n, '0');
  }
}

const fullName = (p: Person): string => `${p.first} ${p.last}`;
const pad6 = (n: number): string => String(n).padStart(6, '0');

// ---------------------------------------------------------------------------------------
// Buffered, chunked writing.
// ---------------------------------------------------------------------------------------

class Sink {
  readonly written: Record<string, number> = Object.fromEntries(REFERENCE_TABLES.map((t) => [t, 0]));
  readonly #buffers = new Map<string, Row[]>(REFERENCE_TABLES.map((t) => [t, []]));
  readonly #ids = new Map<string, number>(REFERENCE_TABLES.map((t) => [t, 0]));
  #pending = 0;
  #media: string[] = [];
  readonly #madeDirs = new Set<string>();

  constructor(
    private readonly adapter: Adapter,
    private readonly mediaRoot: string | null,
    private readonly onProgress: ((table: string, rows: number) => void) | undefined,
  ) {}

  /** The next explicit id of `table`: 1, 2, 3 … in generation order, the same on every engine. */
  nextId(table: string): number {
    const id = (this.#ids.get(table) ?? 0) + 1;
    this.#ids.set(table, id);
    return id;
  }

  push(table: string, row: Row): void {
    const buffer = this.#buffers.get(table);
    if (buffer === undefined) throw new Error(`seed: unknown table ${table}`);
    buffer.push(row);
    this.#pending += 1;
  }

  media(path: string): void {
    if (this.mediaRoot !== null) this.#media.push(path);
  }

  async flushIfFull(): Promise<void> {
    if (this.#pending >= FLUSH_ROWS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#pending === 0) return;
    // Parents first: a child buffered here may reference a parent buffered in this same flush.
    await this.adapter.transaction(async (tx) => {
      for (const table of REFERENCE_TABLES) {
        const rows = this.#buffers.get(table) ?? [];
        if (rows.length > 0) await insertChunked(tx, table, rows);
      }
    });
    const touched: string[] = [];
    for (const table of REFERENCE_TABLES) {
      const rows = this.#buffers.get(table) ?? [];
      if (rows.length === 0) continue;
      this.written[table] = (this.written[table] ?? 0) + rows.length;
      touched.push(table);
      this.#buffers.set(table, []);
    }
    this.#pending = 0;
    // Files after the commit: a failed flush leaves no file without its row.
    this.#writeMedia();
    for (const table of touched) {
      try {
        this.onProgress?.(table, this.written[table] ?? 0);
      } catch {
        // A failing progress listener must not abort a half-written seed.
      }
    }
  }

  #writeMedia(): void {
    if (this.mediaRoot === null) return;
    for (const rel of this.#media) {
      const file = join(this.mediaRoot, ...rel.split('/'));
      const dir = dirname(file);
      if (!this.#madeDirs.has(dir)) {
        mkdirSync(dir, { recursive: true });
        this.#madeDirs.add(dir);
      }
      writeFileSync(file, WAV_HEADER);
    }
    this.#media = [];
  }
}

async function insertChunked(tx: Kysely<any>, table: string, rows: readonly Row[]): Promise<void> {
  const first = rows[0];
  if (first === undefined) return;
  const perStatement = Math.max(1, Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(MAX_PARAMS / Object.keys(first).length)));
  for (let i = 0; i < rows.length; i += perStatement) {
    await tx.insertInto(table).values(rows.slice(i, i + perStatement)).execute();
  }
}

// ---------------------------------------------------------------------------------------
// Generation.
// ---------------------------------------------------------------------------------------

interface UserRef {
  id: number;
  person: Person;
  phone: string;
  email: string;
}

interface AccountCtx {
  id: number;
  provider: ProviderId;
  holder: Person;
  email: string;
  phone: string;
  company: string;
  username: string;
  created: number;
  /** When activity stops: termination (or contract end), else now. */
  end: number;
  active: boolean;
  users: UserRef[];
}

/** Writes the five providers and a deterministic telecom data set; returns rows written per table. */
export async function seedReferenceData(adapter: Adapter, opts: SeedOptions): Promise<Record<string, number>> {
  if (!Number.isSafeInteger(opts.accounts) || opts.accounts < 0) {
    throw new UsageError(`seed: accounts must be a non-negative integer, got ${opts.accounts}`);
  }
  if (!Number.isSafeInteger(opts.seed)) throw new UsageError(`seed: seed must be an integer, got ${opts.seed}`);
  const now = opts.now.getTime();
  if (!Number.isFinite(now)) throw new UsageError('seed: now is not a valid date');

  // Explicit ids from 1 would collide with an earlier seed; say so instead of a raw constraint error.
  let already: number;
  try {
    const row = await adapter.db.selectFrom('providers').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
    already = Number(row?.n ?? 0);
  } catch (err) {
    throw new StoreError('seed: cannot read the providers table; create the reference schema first (lethe db migrate)', { cause: err });
  }
  if (already > 0) {
    throw new StoreError('seed: the reference tables already hold data; seed into an empty store (drop and re-create the schema first)');
  }

  const sink = new Sink(adapter, opts.mediaRoot, opts.onProgress);
  const gen = new Generator(sink, adapter, now, opts.seed);
  for (const p of PROVIDERS) sink.push('providers', { id: p.id, name: p.name });

  for (let i = 0; i < opts.accounts; i++) {
    gen.account(i);
    await sink.flushIfFull();
    if ((i + 1) % 500 === 0 || i + 1 === opts.accounts) opts.onAccounts?.(i + 1, opts.accounts);
  }
  // Tables with no account: sized from the account count, with a floor so small seeds still
  // put rows on both sides of each period.
  const extra = Math.max(10, Math.round(opts.accounts * 0.2));
  for (let i = 0; i < extra; i++) {
    gen.trialSignup(i);
    await sink.flushIfFull();
  }
  for (let i = 0; i < Math.max(25, opts.accounts); i++) {
    gen.webVisit(i);
    await sink.flushIfFull();
  }
  for (let i = 0; i < extra; i++) {
    gen.prospect(i);
    await sink.flushIfFull();
  }
  await sink.flush();
  return { ...sink.written };
}

class Generator {
  readonly #rng: Rng;
  readonly #fake: Faker;
  /** A separate stream, so the times of the account-less tables do not shift with the account count. */
  readonly #extraRng: Rng;
  readonly #extraFake: Faker;
  readonly #stageSeen = new Map<string, number>();
  readonly #pushSerial = new Map<ProviderId, number>();

  constructor(
    private readonly sink: Sink,
    private readonly adapter: Adapter,
    private readonly now: number,
    seed: number,
  ) {
    const serial = { n: 0 };
    this.#rng = new Rng(seed, 1);
    this.#fake = new Faker(this.#rng, serial);
    this.#extraRng = new Rng(seed, 2);
    this.#extraFake = new Faker(new Rng(seed, 3), serial);
  }

  #ts(ms: number | null): unknown {
    return ms === null ? null : this.adapter.encodeTimestamp(new Date(ms));
  }

  account(index: number): void {
    const rng = this.#rng;
    const fake = this.#fake;
    const provider = PROVIDERS[index % PROVIDERS.length]!.id;
    const position = Math.floor(index / PROVIDERS.length) % STAGES.length;
    const stage = (provider === 'loop' ? LOOP_STAGES : STAGES)[position]!;
    const seenKey = `${provider}:${stage}`;
    const occurrence = this.#stageSeen.get(seenKey) ?? 0;
    this.#stageSeen.set(seenKey, occurrence + 1);
    const life = lifeFor(stage, occurrence, rng, this.now);

    const id = this.sink.nextId('accounts');
    const holder = fake.person();
    const acct: AccountCtx = {
      id,
      provider,
      holder,
      email: fake.email(holder),
      phone: fake.phone(),
      company: fake.company(),
      username: `${holder.first}.${holder.last}${id}`.toLowerCase(),
      created: life.created,
      end: Math.min(this.now, life.terminated ?? this.now),
      active: life.terminated === null,
      users: [],
    };
    this.sink.push('accounts', {
      id,
      provider_id: provider,
      name: fullName(holder),
      email: acct.email,
      phone: acct.phone,
      employer: rng.chance(0.8) ? acct.company : null,
      date_of_birth: rng.chance(0.7) ? fake.dateOfBirth() : null,
      username: acct.username,
      password_hash: `$argon2id$v=19$m=65536,t=3,p=4$${rng.base64(16)}$${rng.base64(32)}`,
      created_at: this.#ts(life.created),
      terminated_at: this.#ts(life.terminated),
      contract_ends_at: this.#ts(life.contractEnds),
      anonymised_at: null,
    });

    this.#users(acct);
    this.#contacts(acct);
    this.#calls(acct);
    this.#conferences(acct);
    this.#voicemail(acct);
    this.#supportTickets(acct);
    this.#pushRegistrations(acct);
    if (provider === 'loopup') this.#referrals(acct);
    if (provider === 'loop') {
      this.#debugLogs(acct);
      this.#salesDocuments(acct);
    }
  }

  #someUser(acct: AccountCtx, p: number): UserRef | null {
    return acct.users.length > 0 && this.#rng.chance(p) ? this.#rng.pick(acct.users) : null;
  }

  #users(acct: AccountCtx): void {
    const rng = this.#rng;
    const n = rng.int(1, 3);
    for (let i = 0; i < n; i++) {
      // The first user is usually the account holder.
      const person = i === 0 ? acct.holder : this.#fake.person();
      const user: UserRef = { id: this.sink.nextId('users'), person, phone: this.#fake.phone(), email: this.#fake.email(person) };
      acct.users.push(user);
      this.sink.push('users', {
        id: user.id,
        provider_id: acct.provider,
        account_id: acct.id,
        name: fullName(person),
        email: user.email,
        phone: user.phone,
        created_at: this.#ts(rng.between(acct.created, Math.min(acct.end, acct.created + 30 * DAY))),
        anonymised_at: null,
      });
    }
  }

  #contacts(acct: AccountCtx): void {
    const rng = this.#rng;
    const n = rng.int(0, 5);
    for (let i = 0; i < n; i++) {
      const person = this.#fake.person();
      this.sink.push('contacts', {
        id: this.sink.nextId('contacts'),
        provider_id: acct.provider,
        account_id: acct.id,
        user_id: this.#someUser(acct, 0.5)?.id ?? null,
        first_name: person.first,
        last_name: person.last,
        company: rng.chance(0.7) ? this.#fake.company() : null,
        email: this.#fake.email(person, 'example.net'),
        phone: this.#fake.phone(),
        source: rng.pick(CONTACT_SOURCES),
        created_at: this.#ts(rng.between(acct.created, acct.end)),
      });
    }
  }

  #calls(acct: AccountCtx): void {
    const rng = this.#rng;
    // Uniform 0–40: about 20 calls per account on average.
    const n = rng.int(0, 40);
    for (let i = 0; i < n; i++) {
      const user = this.#someUser(acct, 0.85);
      const started = rng.between(acct.created, acct.end);
      // A fifth are missed; answered calls skew short.
      const duration = rng.chance(0.2) ? 0 : 5 + Math.floor(rng.next() ** 2 * 1800);
      const id = this.sink.nextId('calls');
      this.sink.push('calls', {
        id,
        provider_id: acct.provider,
        account_id: acct.id,
        user_id: user?.id ?? null,
        direction: rng.chance(0.5) ? 'inbound' : 'outbound',
        local_number: user?.phone ?? acct.phone,
        remote_number: this.#fake.phone(),
        started_at: this.#ts(started),
        ended_at: this.#ts(started + duration * SECOND),
        duration_s: duration,
      });
      // LoopUp records conferences, not calls.
      if (acct.provider !== 'loopup' && duration > 0 && rng.chance(0.06)) {
        this.#recording(acct, { call: id, conference: null, at: started, seconds: duration });
      }
    }
  }

  #recording(acct: AccountCtx, of: { call: number | null; conference: number | null; at: number; seconds: number }): void {
    const id = this.sink.nextId('recordings');
    const path = `${acct.provider}/recordings/${pad6(id)}.wav`;
    this.sink.push('recordings', {
      id,
      provider_id: acct.provider,
      account_id: acct.id,
      call_id: of.call,
      conference_id: of.conference,
      media_path: path,
      size_bytes: WAV_HEADER.length + of.seconds * 16_000,
      recorded_at: this.#ts(of.at),
      downloadable: 1,
    });
    this.sink.media(path);
  }

  #conferences(acct: AccountCtx): void {
    const rng = this.#rng;
    const n = acct.provider === 'loopup' ? rng.int(2, 6) : acct.provider === 'loop' || acct.provider === 'cloudcall' ? (rng.chance(0.25) ? 1 : 0) : 0;
    for (let i = 0; i < n; i++) {
      // Mostly the last two years of the account's life; a share forced into 20–130 days ago
      // so LoopUp's 60-day and 90-day recording stages both have rows on each side.
      let lo = Math.max(acct.created, this.now - 730 * DAY);
      if (lo >= acct.end) lo = acct.created;
      const inWindow = acct.end >= this.now - 20 * DAY && acct.created <= this.now - 130 * DAY && rng.chance(0.4);
      const ended = inWindow ? rng.between(this.now - 130 * DAY, this.now - 20 * DAY) : rng.between(lo, acct.end);
      const minutes = rng.int(10, 90);
      const started = ended - minutes * 60 * SECOND;
      const id = this.sink.nextId('conferences');
      this.sink.push('conferences', {
        id,
        provider_id: acct.provider,
        account_id: acct.id,
        host_user_id: this.#someUser(acct, 0.9)?.id ?? null,
        title: rng.pick(CONFERENCE_TITLES),
        started_at: this.#ts(started),
        ended_at: this.#ts(ended),
      });
      const participants = rng.int(2, 5);
      for (let j = 0; j < participants; j++) {
        const joined = started + rng.int(0, 300) * SECOND;
        let left = ended - rng.int(0, 300) * SECOND;
        if (left < joined) left = ended;
        this.sink.push('conference_participants', {
          id: this.sink.nextId('conference_participants'),
          provider_id: acct.provider,
          conference_id: id,
          name: fullName(this.#fake.person()),
          cli: this.#fake.phone(),
          joined_at: this.#ts(joined),
          left_at: this.#ts(left),
        });
      }
      if (rng.chance(acct.provider === 'loopup' ? 0.6 : 0.3)) {
        this.#recording(acct, { call: null, conference: id, at: started, seconds: minutes * 60 });
      }
    }
  }

  #voicemail(acct: AccountCtx): void {
    const rng = this.#rng;
    for (const user of acct.users) {
      if (!rng.chance(0.5)) continue;
      const id = this.sink.nextId('voicemail_greetings');
      const path = `${acct.provider}/greetings/${pad6(id)}.wav`;
      this.sink.push('voicemail_greetings', {
        id,
        provider_id: acct.provider,
        account_id: acct.id,
        user_id: user.id,
        media_path: path,
        created_at: this.#ts(rng.between(acct.created, acct.end)),
      });
      this.sink.media(path);
    }
    const n = rng.int(0, 4);
    for (let i = 0; i < n; i++) {
      const id = this.sink.nextId('voicemails');
      const path = `${acct.provider}/voicemails/${pad6(id)}.wav`;
      this.sink.push('voicemails', {
        id,
        provider_id: acct.provider,
        account_id: acct.id,
        user_id: this.#someUser(acct, 0.8)?.id ?? null,
        caller_number: this.#fake.phone(),
        media_path: path,
        recorded_at: this.#ts(rng.between(acct.created, acct.end)),
        saved: rng.chance(0.3) ? 1 : 0,
      });
      this.sink.media(path);
    }
  }

  #supportTickets(acct: AccountCtx): void {
    const rng = this.#rng;
    const n = rng.int(0, 3);
    for (let i = 0; i < n; i++) {
      const created = rng.between(acct.created, acct.end);
      const user = this.#someUser(acct, 0.5);
      const who = user?.person ?? acct.holder;
      const email = user?.email ?? acct.email;
      const phone = user?.phone ?? acct.phone;
      const subject = rng.pick(TICKET_SUBJECTS);
      this.sink.push('support_tickets', {
        id: this.sink.nextId('support_tickets'),
        provider_id: acct.provider,
        account_id: acct.id,
        subject,
        body:
          `Hi, this is ${fullName(who)} from ${acct.company}. ${subject}: it started on ${new Date(created).toISOString().slice(0, 10)}. ` +
          `You can reach me on ${phone} or ${email}. Thanks, ${who.first}`,
        contact_email: email,
        contact_phone: phone,
        created_at: this.#ts(created),
        closed_at: rng.chance(0.75) ? this.#ts(Math.min(this.now, created + rng.int(1, 14 * 24) * HOUR)) : null,
      });
    }
  }

  #pushRegistrations(acct: AccountCtx): void {
    const rng = this.#rng;
    const n =
      acct.provider === 'ringu' ? rng.int(1, 3) : acct.provider === 'loop' ? rng.int(0, 2) : acct.provider === 'cloudcall' && rng.chance(0.15) ? 1 : 0;
    for (let i = 0; i < n; i++) {
      // Modes cycle per provider so expired, disabled and live registrations all exist.
      const serial = this.#pushSerial.get(acct.provider) ?? 0;
      this.#pushSerial.set(acct.provider, serial + 1);
      let mode = (['expired', 'disabled', 'live'] as const)[serial % 3]!;
      if (mode === 'live' && !acct.active) mode = 'expired';
      let registered: number;
      let expires: number;
      let disabled: number | null = null;
      if (mode === 'live') {
        registered = rng.between(Math.max(acct.created, this.now - 60 * DAY), this.now);
        expires = this.now + rng.int(1, 90) * DAY;
      } else if (mode === 'expired') {
        registered = rng.between(acct.created, acct.end);
        expires = registered + rng.int(1, 90) * DAY;
        if (expires >= this.now) {
          expires = this.now - rng.int(1, 48) * HOUR;
          registered = Math.min(registered, expires - DAY);
        }
      } else {
        registered = rng.between(acct.created, acct.end);
        disabled = rng.between(registered, Math.min(this.now, registered + 180 * DAY));
        expires = registered + 365 * DAY;
      }
      const user = this.#someUser(acct, 0.9);
      this.sink.push('push_registrations', {
        id: this.sink.nextId('push_registrations'),
        provider_id: acct.provider,
        account_id: acct.id,
        user_id: user?.id ?? null,
        sip_uri: `sip:${acct.username}${user ? `-${user.id}` : ''}@sip.example.net`,
        device_token: rng.hex(64),
        registered_at: this.#ts(registered),
        expires_at: this.#ts(expires),
        disabled_at: this.#ts(disabled),
      });
    }
  }

  #referrals(acct: AccountCtx): void {
    const rng = this.#rng;
    const n = rng.int(0, 3);
    for (let i = 0; i < n; i++) {
      const referrer = this.#someUser(acct, 0.9);
      const friend = this.#fake.person();
      const sent = rng.between(acct.created, acct.end);
      this.sink.push('referrals', {
        id: this.sink.nextId('referrals'),
        provider_id: acct.provider,
        referrer_user_id: referrer?.id ?? null,
        friend_name: fullName(friend),
        friend_email: this.#fake.email(friend, 'example.org'),
        message: `Hi ${friend.first}, I've been using LoopUp for my meetings and thought you'd like it. ${referrer?.person.first ?? acct.holder.first}`,
        sent_at: this.#ts(sent),
        unsubscribed_at: rng.chance(0.35) ? this.#ts(rng.between(sent, Math.min(this.now, sent + 120 * DAY))) : null,
        anonymised_at: null,
      });
    }
  }

  #debugLogs(acct: AccountCtx): void {
    const rng = this.#rng;
    const n = rng.int(0, 2);
    for (let i = 0; i < n; i++) {
      const user = this.#someUser(acct, 0.7);
      const uploaded = rng.between(acct.created, acct.end);
      const at = new Date(uploaded - rng.int(60, 3600) * SECOND).toISOString();
      const from = user?.phone ?? acct.phone;
      const remote = this.#fake.phone();
      this.sink.push('debug_logs', {
        id: this.sink.nextId('debug_logs'),
        provider_id: acct.provider,
        account_id: acct.id,
        user_id: user?.id ?? null,
        content: [
          `${at} INFO  sip: REGISTER sip:${acct.username}@sip.example.net expires=3600`,
          `${at} INFO  sip: INVITE sip:${remote}@sip.example.net From: "${fullName(user?.person ?? acct.holder)}" <sip:${from}@sip.example.net>`,
          `${at} WARN  rtp: jitter 48ms packet loss 3.1% peer ${this.#fake.ip()}`,
          `${at} INFO  sip: SIP/2.0 ${rng.pick(['200 OK', '486 Busy Here', '408 Request Timeout', '503 Service Unavailable'])}`,
        ].join('\n'),
        uploaded_at: this.#ts(uploaded),
      });
    }
  }

  #salesDocuments(acct: AccountCtx): void {
    const rng = this.#rng;
    const n = rng.int(0, 2);
    for (let i = 0; i < n; i++) {
      // The sales cycle runs up to the signature, a little before and after account creation.
      this.#salesDocument(acct.provider, acct.id, acct.holder, acct.email, acct.company, rng.between(acct.created - 60 * DAY, Math.min(this.now, acct.created + 14 * DAY)));
    }
    // A proposal to someone who never became a customer.
    if (rng.chance(0.2)) {
      const p = this.#fake.person();
      this.#salesDocument(acct.provider, null, p, this.#fake.email(p), this.#fake.company(), rng.daysBefore(this.now, 1, 1500));
    }
  }

  #salesDocument(provider: ProviderId, accountId: number | null, to: Person, email: string, company: string, created: number): void {
    const rng = this.#rng;
    const id = this.sink.nextId('sales_documents');
    const kind = rng.pick(['Proposal', 'Master services agreement', 'Order form'] as const);
    this.sink.push('sales_documents', {
      id,
      provider_id: provider,
      account_id: accountId,
      title: `${kind} for ${company}`,
      body: `${kind} prepared for ${fullName(to)} (${email}), ${company}. Seats: ${rng.int(5, 500)}. Monthly total: GBP ${rng.int(100, 20_000)}.`,
      created_at: this.#ts(created),
    });
  }

  trialSignup(index: number): void {
    const rng = this.#extraRng;
    const p = this.#extraFake.person();
    this.sink.push('trial_signups', {
      id: this.sink.nextId('trial_signups'),
      provider_id: 'pipcall',
      email: this.#extraFake.email(p, 'example.com'),
      phone: this.#extraFake.phone(),
      // Alternating sides of PiPcall's one year, clear of the boundary.
      started_at: this.#ts(index % 2 === 0 ? rng.daysBefore(this.now, 1, 355) : rng.daysBefore(this.now, 372, 730)),
    });
  }

  webVisit(index: number): void {
    const rng = this.#extraRng;
    this.sink.push('web_visits', {
      id: this.sink.nextId('web_visits'),
      provider_id: PROVIDERS[index % PROVIDERS.length]!.id,
      ip_address: this.#extraFake.ip(),
      path: rng.pick(WEB_PATHS),
      user_agent: rng.pick(USER_AGENTS),
      visited_at: this.#ts(rng.daysBefore(this.now, 0, 1095)),
      anonymised_at: null,
    });
  }

  prospect(index: number): void {
    const rng = this.#extraRng;
    const p = this.#extraFake.person();
    const created = index % 2 === 0 ? rng.daysBefore(this.now, 1, 360) : rng.daysBefore(this.now, 370, 1500);
    this.sink.push('prospects', {
      id: this.sink.nextId('prospects'),
      provider_id: 'cloudcall',
      name: fullName(p),
      company: this.#extraFake.company(),
      email: this.#extraFake.email(p, 'example.net'),
      phone: this.#extraFake.phone(),
      created_at: this.#ts(created),
      last_contact_at: rng.chance(0.8) ? this.#ts(rng.between(created, this.now)) : null,
    });
  }
}
