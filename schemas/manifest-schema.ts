// The manifest's JSON Schema: the one contract between whoever writes a manifest
// (etcdctl, the builder, dokkaacfg) and the scheduler and conductors that act on it.
// Unknown fields are errors everywhere, so a typo never silently does nothing.
// Names (DNS_LABEL, NAME_PATTERN) live in names.ts, size limits in limits.ts.

import { DURATION_PATTERN } from './duration.js'
import { DNS_LABEL } from './names.js'

/** Docker memory sizes: 512m, 1g, 1048576, 1.5g. */
export const MEMORY_PATTERN = '^[0-9]+(\\.[0-9]+)?[bkmgBKMG]?$'

const port = { type: 'integer', minimum: 1, maximum: 65535 } as const
const duration = { type: 'string', maxLength: 32, pattern: DURATION_PATTERN } as const
/** A port the manifest publishes: a service name or its port number. */
const portRef = { anyOf: [port, { type: 'string', pattern: DNS_LABEL }] } as const
const volumePath = { type: 'string', minLength: 1, maxLength: 1024, pattern: '^/' } as const
const httpPath = { type: 'string', maxLength: 1024, pattern: '^/[\\x21-\\x7e]*$' } as const

/** The health check's fields (exactly one of http, tcp, cmd; validate-manifest.ts says so). */
export const HEALTH_FIELDS = ['http', 'tcp', 'cmd', 'interval', 'timeout', 'retries', 'startPeriod'] as const
export const UPDATE_FIELDS = ['order', 'parallelism', 'delay', 'monitor', 'failureAction'] as const
export const VOLUME_FIELDS = ['path', 'hostPath', 'readOnly'] as const

/** Extra Docker create options users may pass through (xCAT's dockerflag). Anything else is refused. */
export const DOCKERFLAGS_ALLOWED = [
  'User', 'WorkingDir', 'Entrypoint', 'Tty', 'OpenStdin', 'StopSignal', 'StopTimeout',
  'Domainname', 'ShmSize', 'ReadonlyRootfs', 'CapDrop', 'Tmpfs', 'Ulimits', 'Init', 'NetworkMode',
] as const

/** Options that would hand a container the host; refused unless the cluster policy allows. */
export const DOCKERFLAGS_FORBIDDEN: Record<string, string> = {
  Privileged: 'privileged containers are not allowed',
  Binds: 'host mounts are not allowed',
  Mounts: 'host mounts are not allowed',
  Devices: 'host devices are not allowed',
  PidMode: 'sharing the host PID namespace is not allowed',
  IpcMode: 'sharing the host IPC namespace is not allowed',
  CapAdd: 'adding capabilities is not allowed',
  SecurityOpt: 'changing security options is not allowed',
}

export const manifestSchema = {
  $id: 'https://dokkaa.dev/schemas/manifest.json',
  type: 'object',
  additionalProperties: false,
  required: ['image'],
  properties: {
    image: { type: 'string', maxLength: 512, pattern: '^\\S+$' },
    scale: { type: 'integer', minimum: 0, maximum: 1000, default: 1 },
    command: {
      anyOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', minItems: 1, items: { type: 'string' } },
      ],
    },
    env: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
    services: {
      type: 'object',
      propertyNames: { pattern: DNS_LABEL },
      additionalProperties: {
        anyOf: [
          port,
          {
            type: 'object',
            additionalProperties: false,
            required: ['port'],
            properties: {
              port,
              protocol: { enum: ['tcp', 'udp'] },
              role: { enum: ['web', 'tcp'] },
              // The web router terminates TLS with a certificate the builder obtains over ACME (schemas/acme.ts).
              tls: { enum: ['auto'] },
            },
          },
        ],
      },
    },
    links: {
      type: 'array',
      uniqueItems: true,
      // "nginx" links a service of the same app; "nginx.other" one of app "other".
      items: { type: 'string', pattern: `^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)?$` },
    },
    resources: {
      type: 'object',
      additionalProperties: false,
      properties: {
        memory: { type: 'string', pattern: MEMORY_PATTERN },
        cpus: { type: 'number', exclusiveMinimum: 0, maximum: 1024 },
      },
    },
    restart: { enum: ['always', 'on-failure', 'never'], default: 'always' },
    hostname: { type: 'string', pattern: DNS_LABEL },
    dns: { type: 'array', items: { type: 'string', format: 'ipv4' } },
    extraHosts: {
      type: 'array',
      items: { type: 'string', pattern: '^[A-Za-z0-9.-]+:[0-9a-fA-F.:]+$' },
    },
    labels: {
      type: 'object',
      propertyNames: { not: { pattern: '^io\\.dokkaa\\.' } },
      additionalProperties: { type: 'string' },
    },
    constraints: {
      type: 'object',
      additionalProperties: { type: 'string' },
    },
    health: {
      type: 'object',
      additionalProperties: false,
      properties: {
        http: {
          anyOf: [
            httpPath,
            { type: 'object', additionalProperties: false, required: ['path'], properties: { path: httpPath, port: portRef } },
          ],
        },
        tcp: portRef,
        cmd: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', maxLength: 4096 } },
        interval: duration,
        timeout: duration,
        retries: { type: 'integer', minimum: 1, maximum: 100 },
        startPeriod: duration,
      },
    },
    update: {
      type: 'object',
      additionalProperties: false,
      properties: {
        order: { enum: ['start-first', 'stop-first'] },
        parallelism: { type: 'integer', minimum: 1, maximum: 1000 },
        delay: duration,
        monitor: duration,
        failureAction: { enum: ['rollback', 'pause'] },
      },
    },
    volumes: {
      type: 'object',
      maxProperties: 16,
      propertyNames: { pattern: DNS_LABEL, maxLength: 30 },
      additionalProperties: {
        anyOf: [
          volumePath,
          {
            type: 'object', additionalProperties: false, required: ['path'],
            properties: { path: volumePath, hostPath: volumePath, readOnly: { type: 'boolean' } },
          },
        ],
      },
    },
    volumeFailover: { enum: ['pin', 'recreate'] },
    pull: { enum: ['missing', 'always', 'never'] },
    secrets: { type: 'array', maxItems: 8, uniqueItems: true, items: { type: 'string', pattern: DNS_LABEL } },
    configs: {
      type: 'object', maxProperties: 8,
      propertyNames: { maxLength: 1024 },
      additionalProperties: { type: 'string', pattern: DNS_LABEL },
    },
    // SIGTERM, TERM, SIGRTMIN+3 or a number, as Docker takes it.
    stopSignal: { type: 'string', pattern: '^((SIG)?[A-Z][A-Z0-9+-]{0,15}|[0-9]{1,2})$' },
    stopGracePeriod: duration,
    dockerflags: {
      type: 'object',
      properties: {
        User: { type: 'string' },
        WorkingDir: { type: 'string' },
        Entrypoint: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
        Tty: { type: 'boolean' },
        OpenStdin: { type: 'boolean' },
        StopSignal: { type: 'string' },
        StopTimeout: { type: 'integer', minimum: 0, maximum: 3600 },
        Domainname: { type: 'string' },
        ShmSize: { type: 'integer', minimum: 0 },
        ReadonlyRootfs: { type: 'boolean' },
        CapDrop: { type: 'array', items: { type: 'string' } },
        Tmpfs: { type: 'object', additionalProperties: { type: 'string' } },
        Ulimits: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['Name', 'Soft', 'Hard'],
            properties: { Name: { type: 'string' }, Soft: { type: 'integer' }, Hard: { type: 'integer' } },
          },
        },
        Init: { type: 'boolean' },
        NetworkMode: { enum: ['bridge', 'none', 'host'] },
      },
      additionalProperties: false,
    },
  },
} as const
