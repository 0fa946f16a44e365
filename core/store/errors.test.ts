import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Dexie } from 'dexie';
import { StoreError, toStoreError } from './errors.ts';

it('toStoreError maps DOMExceptions, Dexie wrappers and BulkError failures to a code', () => {
  const quota = new DOMException('no space', 'QuotaExceededError');
  assert.equal(toStoreError(quota).code, 'quota');
  assert.equal(toStoreError(quota).retryable, true);
  assert.equal(toStoreError(new Dexie.AbortError('Transaction aborted', quota)).code, 'quota', 'abort wrapping a quota error');
  assert.equal(toStoreError(new Dexie.BulkError('bulk failed', { 3: new Dexie.DataError('bad key') })).code, 'invalid');
  assert.equal(toStoreError(new Dexie.DatabaseClosedError()).code, 'closed');
  assert.equal(toStoreError(new Dexie.OpenFailedError(new DOMException('newer', 'VersionError'))).code, 'version');
  assert.equal(toStoreError(new DOMException('x', 'DataCloneError')).code, 'invalid');
  const unknown = toStoreError(new DOMException('?', 'UnknownError'));
  assert.equal(unknown.code, 'failed');
  assert.equal(unknown.retryable, true);
  assert.equal(toStoreError('weird').code, 'failed');
  assert.equal(toStoreError(new TypeError('x is not a function')).retryable, false, 'a bug is not retried');
  const e = new StoreError('closed', 'x');
  assert.equal(toStoreError(e), e);
  assert.ok(unknown.cause instanceof DOMException);
});
