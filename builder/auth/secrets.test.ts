import t from 'tap'
import { generatePassword, hashPassword, hashToken, newToken, sameHash, tokenId, verifyPassword } from './secrets.js'

t.test('a password verifies against its scrypt hash and nothing else', async t => {
  const pw = generatePassword()
  const stored = await hashPassword(pw)
  t.match(stored, /^scrypt\$16384\$8\$1\$/)
  t.notOk(stored.includes(pw))
  t.ok(await verifyPassword(pw, stored))
  t.notOk(await verifyPassword(pw + 'x', stored))
  t.notOk(await verifyPassword(pw, 'plain-text'))
})

t.test('tokens carry their id; only the hash is kept', async t => {
  const tok = newToken()
  t.equal(tokenId(tok.plaintext), tok.id)
  t.equal(hashToken(tok.plaintext), tok.hash)
  t.ok(sameHash(tok.hash, hashToken(tok.plaintext)))
  t.notOk(sameHash(tok.hash, hashToken(newToken().plaintext)))
  t.equal(tokenId('not-a-token'), undefined)
  t.equal(tokenId(`${tok.plaintext}x`), undefined)
})
