import t from 'tap'
import {
  agentAuthorization, agentLogsUrl, LOG_TAIL, logsQuery, logsQuerystring, presentedAgentToken, readLogsQuery,
} from './agent-api.js'

t.test('the logs request: query string, URL at an agent, and back', async t => {
  t.equal(logsQuery({ tail: 10, follow: true }), 'tail=10&follow=1')
  t.equal(logsQuery({ tail: 0, follow: false }), 'tail=0&follow=0')
  t.equal(agentLogsUrl('http://10.0.0.1:7000/', 'shop---web---1', { tail: 200, follow: false }), 'http://10.0.0.1:7000/v1/logs/shop---web---1?tail=200&follow=0')
  t.equal(agentLogsUrl('http://[::1]:7000', 'a b', { tail: 1, follow: true }), 'http://[::1]:7000/v1/logs/a%20b?tail=1&follow=1')
  t.same(readLogsQuery({ tail: 5, follow: 'true' }), { tail: 5, follow: true })
  t.same(readLogsQuery({ tail: 5, follow: '1' }), { tail: 5, follow: true })
  t.same(readLogsQuery({ tail: 5, follow: 'false' }), { tail: 5, follow: false })
  t.same(readLogsQuery({ tail: 5, follow: '0' }), { tail: 5, follow: false })
  t.same(logsQuerystring.properties.tail, { type: 'integer', minimum: 0, maximum: 100000, default: 200 })
  t.equal(LOG_TAIL.default, 200)
})

t.test('the agent token travels as a bearer token, scheme spelled exactly', async t => {
  t.equal(agentAuthorization('s3cret'), 'Bearer s3cret')
  t.equal(presentedAgentToken(agentAuthorization('s3cret')), 's3cret')
  t.equal(presentedAgentToken('Bearer '), '')
  t.equal(presentedAgentToken(undefined), undefined)
  t.equal(presentedAgentToken('bearer s3cret'), undefined)
  t.equal(presentedAgentToken('Basic czNjcmV0'), undefined)
})
