// The contract every component imports: manifest schema and types, validation,
// etcd key layout, record shapes, container labels and naming.
export * from './manifest.js'
export * from './manifest-schema.js'
export * from './validate-manifest.js'
export * from './keys.js'
export * from './labels.js'
export * from './records.js'
export * from './spec-hash.js'
export * from './port-allocation.js'
