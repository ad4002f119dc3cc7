// The agent's volume removal: deletes the Docker volumes one instance kept on this host
// (labels io.dokkaa.app/name/instance and this host's id: never a user's own volume, never
// another conductor's on a shared engine). Docker refuses to remove a volume a container
// still uses (even a stopped one); that comes back as 409, so the data of a running or
// restarting instance cannot be deleted from under it.
import type { FastifyInstance } from 'fastify'
import { AGENT_ERRORS, AGENT_VOLUMES_ROUTE, agentVolumesParams, LABELS, type InstanceRef } from '../../schemas/index.js'
import { createError } from '../../kit/errors.js'
import type { DockerEngine } from '../docker-engine.js'
import { isCode } from '../errors.js'

const VolumeInUseError = createError(AGENT_ERRORS.volumeInUse.code, { statusCode: AGENT_ERRORS.volumeInUse.statusCode })

export function registerVolumeRemoval(app: FastifyInstance, engine: Pick<DockerEngine, 'listVolumes' | 'removeVolume'>, hostId: string): void {
  app.delete(AGENT_VOLUMES_ROUTE, { schema: { params: agentVolumesParams } }, async (request, reply) => {
    const ref = request.params as InstanceRef
    const volumes = await engine.listVolumes({
      [LABELS.host]: hostId, [LABELS.app]: ref.app, [LABELS.name]: ref.name, [LABELS.instance]: String(ref.index),
    })
    for (const name of volumes) {
      try {
        await engine.removeVolume(name)
      } catch (err) {
        if (isCode(err, 'DKA_CONDUCTOR_DOCKER_CONFLICT')) throw new VolumeInUseError(`volume ${name} is in use by a container`)
        if (!isCode(err, 'DKA_CONDUCTOR_DOCKER_NOT_FOUND')) throw err
      }
      request.log.info({ volume: name }, 'volume removed')
    }
    reply.code(204)
  })
}
