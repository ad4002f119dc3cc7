// The credentials a conductor pulls from a private registry with: read from
// /registries/<host> at the moment of the pull (an admin's `dokkaacfg registry login`
// takes effect on the next pull, no restart), the password opened with the cluster key.
// Never cached, never logged.
import type { KeyLayout } from '../schemas/index.js'
import { DOCKER_HUB, DOCKER_HUB_AUTH_ADDRESS, readRegistryRecord, registryAad } from '../schemas/index.js'
import type { Kv } from '../kit/kv.js'
import type { ClusterKey } from '../kit/secret-box.js'
import type { RegistryAuth } from './docker-engine.js'
import { ConductorError } from './errors.js'

/** The credentials stored for `host`: undefined when none are (a public registry, or none stored yet). */
export type RegistryAuthSource = (host: string) => Promise<RegistryAuth | undefined>

export function registryAuthFrom(kv: Kv, keys: KeyLayout, key: ClusterKey | Error): RegistryAuthSource {
  return async host => {
    const entry = await kv.get(keys.registry(host))
    if (!entry) return undefined
    const record = readRegistryRecord(entry.value)
    if (!record) {
      throw new ConductorError('DKA_CONDUCTOR_BAD_RECORD', `the stored credentials of registry ${host} are not a registry record (written into etcd by hand?): store them again with dokkaacfg registry login ${host} --username <user> --password-stdin`)
    }
    if (key instanceof Error) {
      throw new ConductorError('DKA_CONDUCTOR_SECRET_FILES', `the credentials of registry ${host} cannot be opened on this host: ${key.message}`)
    }
    let password: string
    try {
      password = key.open(record.sealed, registryAad(host)).toString('utf8')
    } catch (err) {
      throw new ConductorError('DKA_CONDUCTOR_SECRET_FILES', `the credentials of registry ${host} do not open on this host: ${(err as Error).message}`)
    }
    return { username: record.username, password, serveraddress: host === DOCKER_HUB ? DOCKER_HUB_AUTH_ADDRESS : host }
  }
}
