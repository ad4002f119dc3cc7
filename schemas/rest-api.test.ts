import t from 'tap'
import { errorReplySchema, MAX_SCALE, scaleRequestSchema, TOKEN_NAME_MAX, tokenRequestSchema } from './rest-api.js'

t.test('REST request bounds follow the contract\'s limits', async t => {
  t.equal(MAX_SCALE, 1000, 'the manifest schema\'s largest scale')
  t.same(scaleRequestSchema.properties.delta, { type: 'integer', minimum: -1000, maximum: 1000 })
  t.equal(tokenRequestSchema.properties.name.maxLength, TOKEN_NAME_MAX)
  t.same(errorReplySchema(['DKA_X']).properties.error.properties.code, { type: 'string', enum: ['DKA_X'] })
})
