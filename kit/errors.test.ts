import t from 'tap'
import { createError, DokkaaError, isDokkaaError } from './errors.js'

t.test('createError makes a class with code, statusCode, message and cause', async t => {
  const NotThere = createError('DKA_TEST_NOT_FOUND', { statusCode: 404, message: 'no such thing' })
  const cause = new Error('underneath')
  const e = new NotThere(undefined, { cause })
  t.ok(e instanceof Error && e instanceof DokkaaError && e instanceof NotThere)
  t.equal(e.code, 'DKA_TEST_NOT_FOUND')
  t.equal(e.statusCode, 404)
  t.equal(e.message, 'no such thing', 'the default message')
  t.equal(e.cause, cause)
  t.equal(new NotThere('app "x" is not there').message, 'app "x" is not there', 'a message given wins')
  t.equal(NotThere.code, 'DKA_TEST_NOT_FOUND', 'the code is on the class too')
  t.equal(NotThere.statusCode, 404)
  t.match(String(e.stack), /DKA_TEST_NOT_FOUND: no such thing/)
})

t.test('an error without a status has none; a subclass keeps code and its own name and fields', async t => {
  const Bad = createError('DKA_TEST_BAD')
  t.equal(new Bad('x').statusCode, undefined)
  t.notOk('statusCode' in new Bad('x'))
  class BadFlag extends Bad {
    constructor(readonly flag: string, problem: string) { super(`${flag}: ${problem}`) }
  }
  const e = new BadFlag('--x', 'is wrong')
  t.equal(e.code, 'DKA_TEST_BAD')
  t.equal(e.name, 'BadFlag')
  t.equal(e.flag, '--x')
  t.equal(e.message, '--x: is wrong')
})

t.test('a part\'s base class keeps its constructor and fields', async t => {
  class PartError extends DokkaaError {
    constructor(message: string, readonly details?: unknown, options?: { cause?: unknown }) { super(message, options) }
  }
  class Gone extends createError('DKA_TEST_GONE', { statusCode: 410 }, PartError) {}
  const e = new Gone('gone', { why: 'deleted' })
  t.ok(e instanceof PartError)
  t.same(e.details, { why: 'deleted' })
  t.equal(e.code, 'DKA_TEST_GONE')
  t.equal(e.statusCode, 410)
})

t.test('codes are DKA_<PART>_<WHAT>', async t => {
  t.throws(() => createError('NOT_FOUND'), TypeError)
  t.throws(() => createError('dka_x'), TypeError)
})

t.test('isDokkaaError', async t => {
  const A = createError('DKA_TEST_A')
  t.ok(isDokkaaError(new A('a')))
  t.ok(isDokkaaError(new A('a'), 'DKA_TEST_A'))
  t.notOk(isDokkaaError(new A('a'), 'DKA_TEST_B'))
  t.notOk(isDokkaaError(new Error('plain')))
  t.notOk(isDokkaaError({ code: 'DKA_TEST_A' }))
  t.notOk(isDokkaaError(undefined))
})
