// The builder as the client of the conductors' agent APIs (logs, volume removal): every
// call carries the agent token and, to an https:// agent, goes over mutual TLS with the
// builder's client certificate (--agent-ca/--agent-cert/--agent-key; conductor/agent-api/
// agent-tls.ts is the other end). An agent that cannot be reached, or that speaks https
// to a builder without the CA, is the host's problem as the API reports it: a 502.
import { agentAuthorization, type AgentErrorBody, type HostRecord, type KeyLayout } from '../schemas/index.js'
import type { Kv } from '../kit/kv.js'
import { failureReason, TlsFetcher, type TlsClientMaterial } from '../kit/tls-fetch.js'
import { AgentUnavailableError } from './errors.js'
import { listHosts } from './store/hosts.js'

export interface AgentCall { method?: string; signal?: AbortSignal }

export class AgentClient {
  private readonly fetcher: TlsFetcher

  constructor(tls: TlsClientMaterial | undefined, private readonly token: () => Promise<string | undefined>) {
    this.fetcher = new TlsFetcher(tls)
  }

  /** Calls `url` (under host.agentUrl) with the agent token; any reply comes back, a failure to get one is an AgentUnavailableError. */
  async call(host: Pick<HostRecord, 'id'> & { agentUrl: string }, url: string, init: AgentCall = {}): Promise<Response> {
    if (url.startsWith('https:') && !this.fetcher.hasCa) {
      throw new AgentUnavailableError(`host ${host.id}'s agent at ${host.agentUrl} serves HTTPS with mutual TLS, but this builder has no --agent-ca: `
        + 'start it with --agent-ca <file> (the CA that signed the conductors\' agent certificates), --agent-cert and --agent-key (its client certificate, CN builder)')
    }
    const authorization = agentAuthorization((await this.token()) ?? '')
    try {
      return await this.fetcher.fetch(url, { ...init, headers: { authorization } })
    } catch (err) {
      throw new AgentUnavailableError(`host ${host.id}'s agent at ${host.agentUrl} did not answer: ${failureReason(err)}`, undefined, { cause: err })
    }
  }
}

/** A reply that is not a success, as the 502 says it: the status and the agent's words (a 403 names the certificate it refused). */
export async function agentRefusal(hostId: string, res: Response): Promise<AgentUnavailableError> {
  const text = await res.text().catch(() => '')
  let words = text
  try { words = (JSON.parse(text) as AgentErrorBody).error.message ?? text } catch { /* not the agent's JSON: as sent */ }
  words = words.slice(0, 300)
  return new AgentUnavailableError(`host ${hostId}'s agent answered ${res.status}${words ? `: ${words}` : ''}`)
}

/**
 * Once the builder listens: a builder without --agent-ca among conductors that already serve
 * https cannot read their logs; say so in its log at start, not only at the first 502.
 */
export async function httpsAgentsWithoutCa(kv: Kv, keys: KeyLayout): Promise<string[]> {
  return (await listHosts(kv, keys)).filter(h => h.agentUrl?.startsWith('https:')).map(h => h.id)
}
