#!/usr/bin/env node
// dokkaa-ambassador: see docs/ambassador.md for the flags and what it serves.
import { runCli } from './cli.js'

process.exitCode = await runCli(process.argv)
// Handles (etcd's gRPC channel) may linger after close; the exit status is decided.
process.exit()
