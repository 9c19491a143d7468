/**
 * One explicit fixture per provider, built around every boundary of DESIGN section 1 at the
 * fixed NOW. Ids are disjoint across providers (loopup 1xx, cloudcall 2xx, ringu 3xx, loop 4xx,
 * pipcall 5xx) so the five fixtures can also share one store. Each fixture also inserts
 * "twins": otherwise identical rows of a different provider that has no rule for them (or a
 * different period), which must stay untouched.
 */
import { NOW } from '../support/harness.js';
import {
  LONDON,
  around,
  account,
  call,
  conference,
  contact,
  cutoff,
  debugLog,
  greeting,
  iso,
  participant,
  prospect,
  push,
  recording,
  referral,
  salesDoc,
  shift,
  ticket,
  trial,
  user,
  voicemail,
  webVisit,
  DAY,
  type Fixture,
} from './support.js';

// ---- cutoffs (luxon, provider zone) ------------------------------------------------------------

export const C = {
  /** loopup, pipcall account data; pipcall support data */
  london12m: cutoff(LONDON, { months: 12 }),
  /** loopup recordings: restrict */
  london60d: cutoff(LONDON, { days: 60 }),
  /** loopup recordings: delete */
  london90d: cutoff(LONDON, { days: 90 }),
  /** loop: all data */
  london6m: cutoff(LONDON, { months: 6 }),
  /** pipcall contacts, greetings, saved voicemails */
  london1m: cutoff(LONDON, { months: 1 }),
  /** pipcall call data; account data delete */
  london84m: cutoff(LONDON, { months: 84 }),
  /** pipcall free trial */
  london1y: cutoff(LONDON, { years: 1 }),
  /** "at once" (ringu push, loopup tell-a-friend): now itself */
  atOnce: NOW,
};

const A12 = around(C.london12m);
const A60 = around(C.london60d);
const A90 = around(C.london90d);
const A6 = around(C.london6m);
const A1 = around(C.london1m);
const A84 = around(C.london84m);
const A1Y = around(C.london1y);
const ANOW = around(C.atOnce);
const LONG_AGO = '2000-01-15T12:00:00.000Z';

// ---- loopup ------------------------------------------------------------------------------------

export async function seedLoopup(fx: Fixture): Promise<void> {
  await fx.insert('accounts', [
    account(101, 'loopup', { terminated_at: A12.before }),
    account(102, 'loopup', { terminated_at: A12.at }),
    account(103, 'loopup', { terminated_at: A12.after }),
    account(104, 'loopup'),
    // twins: cloudcall (no enforced rule) with the same clock as 101; a ringu host account
    account(191, 'cloudcall', { terminated_at: A12.before }),
    account(193, 'ringu'),
  ]);
  await fx.insert('users', [
    user(111, 'loopup', 101),
    user(112, 'loopup', 102),
    user(113, 'loopup', 103),
    user(114, 'loopup', 104),
  ]);
  await fx.insert('contacts', [
    contact(121, 'loopup', 101, { user_id: 111 }),
    contact(122, 'loopup', 102, { user_id: 112 }),
    contact(123, 'loopup', 103, { user_id: 113 }),
  ]);
  await fx.insert('conferences', [
    conference(131, 'loopup', 104, { host_user_id: 114, ended_at: A12.before }),
    conference(132, 'loopup', 104, { host_user_id: 114, ended_at: A12.at }),
    conference(133, 'loopup', 104, { host_user_id: 114, ended_at: A12.after }),
    conference(134, 'loopup', 104, { ended_at: A90.before }),
    conference(135, 'loopup', 104, { ended_at: A90.at }),
    conference(136, 'loopup', 104, { ended_at: A90.after }),
    conference(137, 'loopup', 104, { ended_at: A60.before }),
    conference(138, 'loopup', 104, { ended_at: A60.at }),
    conference(139, 'loopup', 104, { ended_at: A60.after }),
    // twin: a ringu conference as old as 131 (ringu has no rule for conferences)
    conference(192, 'ringu', 193, { ended_at: A12.before }),
  ]);
  await fx.insert('conference_participants', [
    participant(151, 'loopup', 131),
    participant(152, 'loopup', 132),
    participant(153, 'loopup', 133),
    participant(194, 'ringu', 192),
  ]);
  await fx.insert('recordings', [
    recording(141, 'loopup', 104, { conference_id: 131 }),
    recording(144, 'loopup', 104, { conference_id: 134 }),
    recording(145, 'loopup', 104, { conference_id: 135 }),
    recording(146, 'loopup', 104, { conference_id: 136 }),
    recording(147, 'loopup', 104, { conference_id: 137 }),
    recording(148, 'loopup', 104, { conference_id: 138 }),
    recording(149, 'loopup', 104, { conference_id: 139 }),
    recording(195, 'ringu', 193, { conference_id: 192 }),
  ]);
  await fx.insert('calls', [
    call(161, 'loopup', 104, { started_at: A12.before }),
    call(162, 'loopup', 104, { started_at: A12.at }),
    call(163, 'loopup', 104, { started_at: A12.after }),
    call(164, 'loopup', 104, { started_at: A12.justBefore }),
    call(197, 'cloudcall', 191, { started_at: A12.before }),
  ]);
  await fx.insert('referrals', [
    referral(171, 'loopup', { referrer_user_id: 114, unsubscribed_at: ANOW.before }),
    referral(172, 'loopup', { referrer_user_id: 114, unsubscribed_at: ANOW.at }),
    referral(173, 'loopup', { referrer_user_id: 114, unsubscribed_at: ANOW.after }),
    referral(174, 'loopup', { referrer_user_id: 114 }),
    referral(196, 'pipcall', { unsubscribed_at: ANOW.before }),
  ]);
}

// ---- cloudcall ---------------------------------------------------------------------------------

export async function seedCloudcall(fx: Fixture): Promise<void> {
  await fx.insert('accounts', [
    account(201, 'cloudcall', { terminated_at: LONG_AGO, contract_ends_at: LONG_AGO }),
    account(202, 'cloudcall'),
    account(288, 'ringu'),
    // twin: a pipcall account as old as 201, referenced by nothing: deleted at 84 months
    account(290, 'pipcall', { terminated_at: LONG_AGO, contract_ends_at: LONG_AGO }),
  ]);
  await fx.insert('users', [user(211, 'cloudcall', 201)]);
  await fx.insert('prospects', [prospect(221, 'cloudcall', { created_at: LONG_AGO, last_contact_at: LONG_AGO })]);
  await fx.insert('recordings', [recording(231, 'cloudcall', 201, { recorded_at: LONG_AGO })]);
  await fx.insert('voicemails', [voicemail(241, 'cloudcall', 201, { user_id: 211, recorded_at: LONG_AGO, saved: 1 })]);
  await fx.insert('web_visits', [webVisit(251, 'cloudcall', { visited_at: LONG_AGO })]);
  await fx.insert('contacts', [contact(261, 'cloudcall', 201, { user_id: 211 })]);
  await fx.insert('calls', [call(271, 'cloudcall', 201, { started_at: LONG_AGO, ended_at: LONG_AGO })]);
  await fx.insert('support_tickets', [ticket(281, 'cloudcall', 201)]);
  await fx.insert('trial_signups', [
    trial(291, 'cloudcall', { started_at: LONG_AGO }),
    // twin: pipcall trial as old: deleted (1 year)
    trial(299, 'pipcall', { started_at: LONG_AGO }),
  ]);
  await fx.insert('push_registrations', [
    push(292, 'cloudcall', 201, { expires_at: LONG_AGO, disabled_at: LONG_AGO }),
    // twin: ringu registration as old: deleted (at once)
    push(289, 'ringu', 288, { expires_at: LONG_AGO, disabled_at: LONG_AGO }),
  ]);
  await fx.insert('referrals', [referral(293, 'cloudcall', { unsubscribed_at: LONG_AGO })]);
  await fx.insert('debug_logs', [debugLog(294, 'cloudcall', 201, { uploaded_at: LONG_AGO })]);
  await fx.insert('voicemail_greetings', [greeting(295, 'cloudcall', 201)]);
  await fx.insert('conferences', [conference(296, 'cloudcall', 201, { ended_at: LONG_AGO })]);
  await fx.insert('conference_participants', [participant(297, 'cloudcall', 296)]);
  await fx.insert('sales_documents', [salesDoc(298, 'cloudcall', 201)]);
}

// ---- ringu -------------------------------------------------------------------------------------

export async function seedRingu(fx: Fixture): Promise<void> {
  await fx.insert('accounts', [
    account(301, 'ringu', { terminated_at: LONG_AGO }),
    account(390, 'pipcall'),
    account(393, 'loop'),
  ]);
  await fx.insert('users', [user(311, 'ringu', 301)]);
  await fx.insert('push_registrations', [
    push(321, 'ringu', 301, { user_id: 311, expires_at: ANOW.before }),
    push(322, 'ringu', 301, { user_id: 311, expires_at: ANOW.at }),
    push(323, 'ringu', 301, { user_id: 311, expires_at: ANOW.after }),
    push(324, 'ringu', 301, { user_id: 311, disabled_at: ANOW.before }),
    push(325, 'ringu', 301, { user_id: 311, disabled_at: ANOW.at }),
    push(326, 'ringu', 301, { user_id: 311, disabled_at: ANOW.after }),
    push(327, 'ringu', 301, { user_id: 311, expires_at: ANOW.before, disabled_at: ANOW.before }),
    push(328, 'ringu', 301, { user_id: 311, expires_at: iso(shift(NOW, 4 * DAY)) }),
    push(329, 'ringu', 301, { user_id: 311, expires_at: ANOW.justBefore }),
    // twins: pipcall has no push rule; loop's rule needs contract_ends_at (NULL: never due)
    push(391, 'pipcall', 390, { expires_at: ANOW.before }),
    push(392, 'loop', 393, { expires_at: ANOW.before, disabled_at: ANOW.before }),
  ]);
  await fx.insert('debug_logs', [debugLog(331, 'ringu', 301, { uploaded_at: LONG_AGO })]);
  await fx.insert('contacts', [contact(341, 'ringu', 301)]);
}

// ---- loop --------------------------------------------------------------------------------------

/** One complete customer: a row in every table lethe's loop rules cover, all with id = account id. */
async function loopCustomer(fx: Fixture, id: number, provider: string): Promise<void> {
  await fx.insert('users', [user(id, provider, id)]);
  await fx.insert('contacts', [contact(id, provider, id, { user_id: id })]);
  await fx.insert('calls', [call(id, provider, id, { user_id: id })]);
  await fx.insert('conferences', [conference(id, provider, id, { host_user_id: id })]);
  await fx.insert('conference_participants', [participant(id, provider, id)]);
  await fx.insert('recordings', [recording(id, provider, id, { call_id: id, conference_id: id })]);
  await fx.insert('voicemails', [voicemail(id, provider, id, { user_id: id, saved: id % 2 })]);
  await fx.insert('voicemail_greetings', [greeting(id, provider, id, { user_id: id })]);
  await fx.insert('support_tickets', [ticket(id, provider, id)]);
  await fx.insert('push_registrations', [push(id, provider, id, { user_id: id, expires_at: iso(shift(NOW, 30 * DAY)) })]);
  await fx.insert('debug_logs', [debugLog(id, provider, id, { user_id: id })]);
  await fx.insert('sales_documents', [salesDoc(id, provider, id)]);
}

export const LOOP_CHILD_TABLES = [
  'users',
  'contacts',
  'calls',
  'conferences',
  'conference_participants',
  'recordings',
  'voicemails',
  'voicemail_greetings',
  'support_tickets',
  'push_registrations',
  'debug_logs',
] as const;

/** The loop rule that deletes each table. */
export const LOOP_RULE_OF: Record<(typeof LOOP_CHILD_TABLES)[number], string> = {
  users: 'customer-data-users',
  contacts: 'customer-data-contacts',
  calls: 'customer-data-calls',
  conferences: 'customer-data-conferences',
  conference_participants: 'customer-data-conference-participants',
  recordings: 'customer-data-recordings',
  voicemails: 'customer-data-voicemails',
  voicemail_greetings: 'customer-data-voicemail-greetings',
  support_tickets: 'customer-data-support-tickets',
  push_registrations: 'customer-data-push-registrations',
  debug_logs: 'customer-data-debug-logs',
};

export async function seedLoop(fx: Fixture): Promise<void> {
  await fx.insert('accounts', [
    account(401, 'loop', { contract_ends_at: A6.before, terminated_at: A6.before }),
    account(402, 'loop', { contract_ends_at: A6.at, terminated_at: A6.at }),
    account(403, 'loop', { contract_ends_at: A6.after, terminated_at: A6.after }),
    // twin: a pipcall customer whose contract ended as long ago as 401's (pipcall clocks on terminated_at)
    account(491, 'pipcall', { contract_ends_at: A6.before }),
  ]);
  for (const id of [401, 402, 403]) await loopCustomer(fx, id, 'loop');
  await loopCustomer(fx, 491, 'pipcall');
  await fx.insert('sales_documents', [salesDoc(404, 'loop', null, { created_at: '1990-01-01T00:00:00.000Z' })]);
}

// ---- pipcall -----------------------------------------------------------------------------------

/** Pipcall accounts and their termination instants: every boundary of every pipcall period. */
export const PIPCALL_ACCOUNTS: Record<number, string> = {
  501: A1.before,
  502: A1.at,
  503: A1.after,
  504: A12.before,
  505: A12.at,
  506: A12.after,
  507: A84.before,
  508: A84.at,
  509: A84.after,
  // as 507, but an unsaved voicemail (no stated period) still references the account and user
  510: A84.before,
};

export async function seedPipcall(fx: Fixture): Promise<void> {
  const ids = Object.keys(PIPCALL_ACCOUNTS).map(Number);
  await fx.insert('accounts', [
    ...ids.map((id) => account(id, 'pipcall', { terminated_at: PIPCALL_ACCOUNTS[id], ...(id === 508 ? { phone: '+12025550108' } : {}) })),
    // twins: loopup (12 months, not 1) and ringu (unspecified) with pipcall-due clocks
    account(592, 'loopup', { terminated_at: A1.before }),
    account(593, 'ringu', { terminated_at: A84.before }),
  ]);
  await fx.insert('users', [...ids.map((id) => user(id, 'pipcall', id)), user(593, 'ringu', 593)]);
  await fx.insert('contacts', [...ids.map((id) => contact(id, 'pipcall', id, { user_id: id })), contact(592, 'loopup', 592)]);
  await fx.insert('voicemail_greetings', [...ids.map((id) => greeting(id, 'pipcall', id, { user_id: id })), greeting(592, 'loopup', 592)]);
  await fx.insert('voicemails', [
    ...ids.map((id) => voicemail(id, 'pipcall', id, { user_id: id, saved: 1 })),
    voicemail(520, 'pipcall', 510, { user_id: 510, saved: 0 }),
    voicemail(521, 'pipcall', 504, { user_id: 504, saved: 0 }),
    voicemail(592, 'loopup', 592, { saved: 1 }),
  ]);
  await fx.insert('support_tickets', [...ids.map((id) => ticket(id, 'pipcall', id)), ticket(593, 'ringu', 593)]);
  await fx.insert('calls', [...ids.map((id) => call(id, 'pipcall', id, { user_id: id })), call(593, 'ringu', 593)]);
  await fx.insert('recordings', ids.map((id) => recording(id, 'pipcall', id, { call_id: id })));
  await fx.insert('trial_signups', [
    trial(531, 'pipcall', { started_at: A1Y.before }),
    trial(532, 'pipcall', { started_at: A1Y.at }),
    trial(533, 'pipcall', { started_at: A1Y.after }),
    trial(534, 'pipcall', { started_at: A1Y.justBefore }),
    trial(591, 'loopup', { started_at: A1Y.before }),
  ]);
}

export async function seedAll(fx: Fixture): Promise<void> {
  await fx.providers();
  await seedLoopup(fx);
  await seedCloudcall(fx);
  await seedRingu(fx);
  await seedLoop(fx);
  await seedPipcall(fx);
}
