// Relay-side fault injection, to prove the chaos oracle can fail (TESTING.md, "Honest tests"): a run with
// `--fault NAME` preloads this module into the relay process (NODE_OPTIONS=--import) and must then report
// lost envelopes or duplicates. Plain JS because the relay runs under plain node. It patches the
// better-sqlite3 module the relay bundle imports (packages stay external, so it is the same instance).
//   drop-envelope   one envelope insert in 211 (per relay process) is skipped while its seq is still acknowledged: lost + gaps
//   no-idempotency  a resent (device, id) is not recognized and is stored again: duplicates
import Database from 'better-sqlite3';

const fault = process.env.TANDEM_CHAOS_FAULT;
const prepare = Database.prototype.prepare;
let inserts = 0;

Database.prototype.prepare = function patchedPrepare(sql) {
  if (fault === 'no-idempotency' && sql.startsWith('INSERT INTO sends')) {
    return prepare.call(this, sql.replace('INSERT INTO', 'INSERT OR REPLACE INTO'));
  }
  const statement = prepare.call(this, sql);
  if (fault === 'no-idempotency' && sql.startsWith('SELECT results FROM sends')) {
    statement.get = () => undefined;
  }
  if (fault === 'drop-envelope' && sql.startsWith('INSERT INTO envelopes')) {
    const run = statement.run.bind(statement);
    statement.run = (...args) => (++inserts % 211 === 0 ? { changes: 0, lastInsertRowid: 0 } : run(...args));
  }
  return statement;
};
