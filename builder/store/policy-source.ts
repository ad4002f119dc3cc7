// The cluster policy (/config/policy) as the builder applies it to writes: manifest
// limits, allowHostNetwork and quotas. Operators write it by hand with etcdctl, so a
// broken policy must not open the gates: the last valid one stays in force (and the
// builder says why it ignored the new one); a deleted policy means the defaults.
import { parsePolicy, type ClusterPolicy, type KeyLayout, type ManifestError } from '../../schemas/index.js'
import type { Kv } from '../../kit/kv.js'

export class PolicySource {
  private lastValid: ClusterPolicy = {}
  /** The policy decided for the value at this mod revision, so an unchanged key is parsed once. */
  private seen?: { modRevision: number; policy: ClusterPolicy }

  constructor(
    private readonly kv: Kv,
    private readonly keys: KeyLayout,
    private readonly onInvalid: (errors: ManifestError[]) => void = () => {},
  ) {}

  /** Reads the policy key (one etcd get: writes are rare, and must see a policy change at once). */
  async current(): Promise<ClusterPolicy> {
    const e = await this.kv.get(this.keys.policy)
    if (!e) {
      this.lastValid = {}
      this.seen = undefined
      return this.lastValid
    }
    if (this.seen?.modRevision === e.modRevision) return this.seen.policy
    const parsed = parsePolicy(e.value)
    if (parsed.ok) this.lastValid = parsed.policy
    else this.onInvalid(parsed.errors)
    this.seen = { modRevision: e.modRevision, policy: this.lastValid }
    return this.lastValid
  }
}
