import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aggregatedErrors, ErrorCodes, HugoError, HugoErrors } from '../src/result/index.js';

describe('HugoError', () => {
  test('is immutable: with* return new instances and leave the original untouched', () => {
    const base = HugoError.from('boom', 'x.code');
    const withMeta = base.withMetadata('k', 1);
    const withCode = base.withCode('y.code');
    const cause = new Error('root');
    const withCause = base.withCause(cause);
    assert.equal(base.metadata.size, 0);
    assert.equal(withMeta.metadata.get('k'), 1);
    assert.equal(withCode.code, 'y.code');
    assert.equal(base.code, 'x.code');
    assert.equal(withCause.cause, cause);
    assert.ok(Object.isFrozen(base));
    assert.throws(() => {
      (base as unknown as { message: string }).message = 'changed';
    });
  });

  test('metadata keys are case-insensitive and keep their first spelling', () => {
    const e = HugoError.from('m').withMetadata('RequestId', 'a').withMetadata('requestid', 'b');
    assert.equal(e.metadata.size, 1);
    assert.equal(e.metadata.get('REQUESTID'), 'b');
    assert.deepEqual(e.metadata.keys(), ['RequestId']);
    assert.equal(e.tryGetMetadata<string>('requestId'), 'b');
  });

  test('withMetadata rejects a blank key', () => {
    assert.throws(() => HugoError.from('m').withMetadata('  ', 1), TypeError);
    assert.throws(() => HugoError.from('m').withMetadata('', 1), TypeError);
  });

  test('withMetadata merges a collection', () => {
    const e = HugoError.from('m', undefined, undefined, { a: 1 }).withMetadata({ b: 2, A: 3 });
    assert.deepEqual(e.metadata.toObject(), { a: 3, b: 2 });
  });

  test('tryGetMetadata applies the type guard and reports absence', () => {
    const e = HugoError.from('m').withMetadata('n', 5);
    const isString = (v: unknown): v is string => typeof v === 'string';
    assert.equal(e.tryGetMetadata('n', isString), undefined);
    assert.equal(
      e.tryGetMetadata('n', (v): v is number => typeof v === 'number'),
      5,
    );
    assert.equal(e.tryGetMetadata('missing'), undefined);
  });

  test('toString is "code: message", or the message alone without a code', () => {
    assert.equal(
      HugoError.from('bad input', ErrorCodes.Validation).toString(),
      'error.validation: bad input',
    );
    assert.equal(HugoError.from('plain').toString(), 'plain');
  });

  test('known codes get descriptor metadata; unknown codes do not', () => {
    const e = HugoError.from('t', ErrorCodes.Timeout);
    assert.equal(e.metadata.get('error.name'), 'Timeout');
    assert.equal(e.metadata.get('error.category'), 'General');
    assert.equal(typeof e.metadata.get('error.description'), 'string');
    assert.equal(HugoError.from('x', 'my.code').metadata.has('error.name'), false);
    const relabeled = HugoError.from('x').withCode(ErrorCodes.VersionConflict);
    assert.equal(relabeled.metadata.get('error.category'), 'Deterministic');
  });

  test('descriptor metadata does not overwrite explicit values', () => {
    const e = HugoError.from('t', ErrorCodes.Timeout, undefined, { 'ERROR.NAME': 'Custom' });
    assert.equal(e.metadata.get('error.name'), 'Custom');
  });

  test('every known code is a string under error.*', () => {
    const codes = Object.values(ErrorCodes);
    assert.equal(codes.length, 15);
    for (const code of codes) {
      assert.match(code, /^error\./);
      assert.ok(HugoError.from('x', code).metadata.has('error.name'), code);
    }
  });

  test('fromException records type and stack and uses error.exception', () => {
    const ex = new RangeError('out of range');
    const e = HugoError.fromException(ex);
    assert.equal(e.code, ErrorCodes.Exception);
    assert.equal(e.message, 'out of range');
    assert.equal(e.cause, ex);
    assert.equal(e.metadata.get('exceptionType'), 'RangeError');
    assert.equal(e.metadata.get('stackTrace'), ex.stack);
    assert.equal(HugoError.fromException('text thrown').message, 'text thrown');
    assert.equal(HugoError.fromException(ex, 'custom').code, 'custom');
  });

  test('canceled has a default message and records the signal state', () => {
    const plain = HugoError.canceled();
    assert.equal(plain.code, ErrorCodes.Canceled);
    assert.equal(plain.message, 'Operation was canceled.');
    assert.equal(plain.metadata.has('cancellationToken'), false);
    const controller = new AbortController();
    const reason = new Error('stop');
    controller.abort(reason);
    const withSignal = HugoError.canceled('stopped', controller.signal);
    assert.equal(withSignal.message, 'stopped');
    assert.deepEqual(withSignal.metadata.get('cancellationToken'), {
      isCancellationRequested: true,
      canBeCanceled: true,
    });
    assert.equal(withSignal.cause, reason);
  });

  test('timeout records its duration', () => {
    const e = HugoError.timeout(1500);
    assert.equal(e.code, ErrorCodes.Timeout);
    assert.equal(e.message, 'The operation timed out.');
    assert.equal(e.metadata.get('duration'), 1500);
    assert.equal(HugoError.timeout().metadata.has('duration'), false);
  });

  test('unspecified has its code and default message', () => {
    assert.equal(HugoError.unspecified().code, ErrorCodes.Unspecified);
    assert.equal(HugoError.unspecified().message, 'An unspecified error occurred.');
  });

  test('aggregate lists its errors and rejects an empty list', () => {
    const a = HugoError.from('a');
    const b = HugoError.from('b');
    const agg = HugoError.aggregate('both failed', a, b);
    assert.equal(agg.code, ErrorCodes.Aggregate);
    assert.deepEqual(aggregatedErrors(agg), [a, b]);
    assert.throws(() => HugoError.aggregate('none'), RangeError);
    assert.deepEqual(aggregatedErrors(a), []);
  });

  test('the HugoErrors object exposes the factories', () => {
    assert.equal(HugoErrors.timeout(1).code, ErrorCodes.Timeout);
    assert.equal(HugoErrors.canceled().code, ErrorCodes.Canceled);
    assert.equal(HugoErrors.validation('v').code, ErrorCodes.Validation);
  });
});

describe('HugoError JSON', () => {
  test('has the shape {message, code?, cause?, metadata?}', () => {
    const cause = new TypeError('bad type');
    const e = HugoError.from('failed', 'my.code', cause, { attempt: 2 });
    const json = JSON.parse(JSON.stringify(e));
    assert.deepEqual(Object.keys(json).sort(), ['cause', 'code', 'message', 'metadata']);
    assert.equal(json.message, 'failed');
    assert.equal(json.code, 'my.code');
    assert.equal(json.cause.type, 'TypeError');
    assert.equal(json.cause.message, 'bad type');
    assert.equal(typeof json.cause.stackTrace, 'string');
    assert.deepEqual(json.metadata, { attempt: 2 });
  });

  test('omits absent code, cause and metadata', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(HugoError.from('m'))), { message: 'm' });
  });

  test('round-trips through fromJSON, nested aggregate errors included', () => {
    const inner = HugoError.from('inner', 'x').withMetadata('k', 'v');
    const agg = HugoError.aggregate('outer', inner, HugoError.timeout(5));
    const back = HugoError.fromJSON(JSON.parse(JSON.stringify(agg)));
    assert.equal(back.toString(), agg.toString());
    const nested = aggregatedErrors(back);
    assert.equal(nested.length, 2);
    assert.equal(nested[0]?.metadata.get('K'), 'v');
    assert.equal(nested[1]?.metadata.get('duration'), 5);
  });

  test('fromJSON restores the cause as an Error named after its type', () => {
    const back = HugoError.fromJSON({ message: 'm', cause: { type: 'IOError', message: 'disk' } });
    assert.ok(back.cause instanceof Error);
    assert.equal((back.cause as Error).name, 'IOError');
    assert.equal((back.cause as Error).message, 'disk');
    assert.throws(() => HugoError.fromJSON({} as never), TypeError);
  });

  test('a signal in metadata serializes as its state', () => {
    const controller = new AbortController();
    const json = HugoError.from('m').withMetadata('signal', controller.signal).toJSON();
    assert.deepEqual(json.metadata?.['signal'], { isCancellationRequested: false, canBeCanceled: true });
  });
});
