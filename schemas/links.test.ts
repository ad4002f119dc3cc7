import t from 'tap'
import { foreignLinkProblems, parseLink } from './links.js'

t.test('a link names a service of its own app or of another', async t => {
  t.same(parseLink('nginx', 'dummy'), { service: 'nginx', app: 'dummy' })
  t.same(parseLink('db.other', 'dummy'), { service: 'db', app: 'other' })
})

t.test('a user links only into apps they own', async t => {
  const owners: Record<string, string> = { mine: 'alice', theirs: 'bob' }
  const ownerOf = (app: string) => owners[app]
  t.same(foreignLinkProblems(['web', 'db.mine'], 'app', 'alice', ownerOf), [])
  const p = foreignLinkProblems(['web', 'db.theirs', 'x.nobody'], 'app', 'alice', ownerOf)
  t.same(p.map(e => e.path), ['/links/1', '/links/2'], 'another user\'s app and an unowned (root\'s) app are refused')
  t.match(p[0]?.message, /link "db\.theirs": app "theirs" is not yours/)
  t.same(foreignLinkProblems(['db.theirs'], 'app', 'root', ownerOf), [], 'root links anywhere')
  t.same(foreignLinkProblems(undefined, 'app', 'alice', ownerOf), [])
})
