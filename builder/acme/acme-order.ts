// One certificate over ACME (RFC 8555) with acme-client: the account (its key made once
// and kept sealed in etcd, so a restarted builder is the same account), an order for one
// name, its HTTP-01 challenge put at /tls/challenges/<token> — which every ambassador
// answers on its web port, whichever host the ACME server's DNS lookup lands on — and
// removed when the order is done. acme-client's own pre-check of the challenge is skipped:
// it would fetch the name from the builder's host, whose resolver need not know the
// cluster's names; the ACME server's validation is the real test.
import { readFileSync } from 'node:fs'
import { Agent } from 'node:https'
import { axios as acmeAxios, Client, crypto as acmeCrypto } from 'acme-client'
import { sleep } from '../../kit/backoff.js'
import type { Kv } from '../../kit/kv.js'
import type { ClusterKey } from '../../kit/secret-box.js'
import type { AcmeConfig, KeyLayout, TlsKeyPair } from '../../schemas/index.js'
import { readAccountKey, writeAccountKey } from './cert-records.js'

/** Time for every ambassador's etcd watch to deliver a challenge before the ACME server is told to look (they take milliseconds). */
const CHALLENGE_SETTLE_MS = 500

export interface AcmeAccount {
  client: Client
  config: AcmeConfig
}

/**
 * acme-client sends every request through its one axios instance: the CA it trusts (the
 * directory's caFile) is set there. One builder runs one ACME configuration at a time.
 * A proxy from the environment is not used: the directory is reached directly.
 */
function trustFor(config: AcmeConfig): void {
  acmeAxios.defaults.proxy = false
  acmeAxios.defaults.httpsAgent = config.caFile ? new Agent({ ca: readFileSync(config.caFile) }) : new Agent()
}

/** The account for this configuration: its key from etcd, or a new one stored sealed. Throws with the ACME server's or the file's words. */
export async function openAccount(kv: Kv, keys: KeyLayout, key: ClusterKey, config: AcmeConfig): Promise<AcmeAccount> {
  try {
    trustFor(config)
  } catch (err) {
    throw new Error(`cannot read the ACME server's CA file "caFile" ${config.caFile}: ${(err as Error).message}`, { cause: err })
  }
  let accountKey = await readAccountKey(kv, keys, key, config.directory, config.email)
  if (!accountKey) {
    accountKey = (await acmeCrypto.createPrivateEcdsaKey()).toString()
    await writeAccountKey(kv, keys, key, config.directory, config.email, accountKey)
  }
  const client = new Client({ directoryUrl: config.directory, accountKey, backoffAttempts: 10, backoffMin: 500, backoffMax: 5_000 })
  await client.createAccount({ termsOfServiceAgreed: true, contact: [`mailto:${config.email}`] })
  return { client, config }
}

/** A certificate (chain) and a fresh key for `hostname`, validated over HTTP-01. */
export async function orderCertificate(account: AcmeAccount, kv: Kv, keys: KeyLayout, hostname: string): Promise<TlsKeyPair> {
  const [key, csr] = await acmeCrypto.createCsr({ commonName: hostname, altNames: [hostname] }, await acmeCrypto.createPrivateEcdsaKey())
  const cert = await account.client.auto({
    csr,
    email: account.config.email,
    termsOfServiceAgreed: true,
    challengePriority: ['http-01'],
    skipChallengeVerification: true,
    challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
      await kv.put(keys.tlsChallenge(challenge.token), keyAuthorization)
      await sleep(CHALLENGE_SETTLE_MS)
    },
    challengeRemoveFn: async (_authz, challenge) => {
      await kv.delete(keys.tlsChallenge(challenge.token))
    },
  })
  return { cert, key: key.toString() }
}
