// The one way a Dokkaa bin reads its command line: every flag also has a DOKKAA_* env
// var (--etcd ↔ DOKKAA_ETCD, --log-level ↔ DOKKAA_LOG_LEVEL: what systemd units and
// cloud-init set), and the flags every part shares are parsed by one function each.
// A bad value is a FlagError naming the flag; a bin prints its one-line message and
// exits 2 — never a stack trace.
import type { Command } from 'commander'
import { createError } from './errors.js'

/** A flag (or its DOKKAA_* env var) with a value the bin cannot use. */
export class FlagError extends createError('DKA_FLAG_INVALID') {
  constructor(readonly flag: string, problem: string) {
    super(`${flag}: ${problem}`)
  }
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = typeof LOG_LEVELS[number]

/** DOKKAA_ + the flag's long name in upper snake case: --port-range → DOKKAA_PORT_RANGE. */
export function envVarOf(longFlag: string): string {
  return `DOKKAA_${longFlag.replace(/^--/, '').replace(/-/g, '_').toUpperCase()}`
}

/**
 * Gives every option of `cmd` (and its subcommands) its DOKKAA_* env var, unless it has
 * one. Flags given on the command line win over the environment, which wins over defaults.
 */
export function withEnvVars<C extends Command>(cmd: C): C {
  for (const opt of cmd.options) {
    if (!opt.long || opt.envVar || opt.long === '--help' || opt.long === '--version') continue
    opt.env(envVarOf(opt.long))
    // commander wires env vars up when an option is added; for one added before, hand the
    // env value to the option's command-line handler (same parsing, same checks).
    const events = cmd as unknown as NodeJS.EventEmitter
    events.on(`optionEnv:${opt.name()}`, (value: string) => events.emit(`option:${opt.name()}`, value))
  }
  for (const sub of cmd.commands) withEnvVars(sub)
  return cmd
}

export function parseLogLevel(text: string | undefined, fallback: LogLevel = 'info', flag = '--log-level'): LogLevel {
  const level = (text ?? fallback) as LogLevel
  if (!LOG_LEVELS.includes(level)) throw new FlagError(flag, `"${text}" is not one of ${LOG_LEVELS.join(', ')}`)
  return level
}

/** Comma-separated etcd client URLs: http(s)://host:port, at least one. */
export function parseEtcdUrls(text: string | undefined, fallback = 'http://127.0.0.1:2379', flag = '--etcd'): string[] {
  const urls = (text ?? fallback).split(',').map(s => s.trim()).filter(Boolean)
  if (urls.length === 0) throw new FlagError(flag, 'needs at least one URL, like http://127.0.0.1:2379')
  for (const u of urls) {
    if (!/^https?:\/\/[^/\s]+\/?$/.test(u)) throw new FlagError(flag, `"${u}" is not an etcd client URL like http://127.0.0.1:2379`)
  }
  return urls
}

/** The etcd key prefix: "" or "/name" (starts with "/", does not end with one). */
export function parsePrefix(text: string | undefined, flag = '--prefix'): string {
  const prefix = text ?? ''
  if (prefix !== '' && (!prefix.startsWith('/') || prefix.endsWith('/') || /\s/.test(prefix))) {
    throw new FlagError(flag, `"${prefix}" must start with "/", not end with "/" and hold no spaces (or be empty)`)
  }
  return prefix
}

export function parsePortNumber(text: string, flag: string, what = text): number {
  if (!/^\d{1,5}$/.test(text.trim()) || Number(text) < 1 || Number(text) > 65535) throw new FlagError(flag, `"${what}": ports are 1-65535`)
  return Number(text)
}

export interface PortRange { from: number; to: number }

/** FROM-TO, like 20000-20999. */
export function parsePortRangeFlag(text: string, flag = '--port-range'): PortRange {
  const m = text.trim().match(/^(\d+)-(\d+)$/)
  if (!m) throw new FlagError(flag, `"${text}" is not FROM-TO, like 20000-20999`)
  const from = parsePortNumber(m[1]!, flag, text)
  const to = parsePortNumber(m[2]!, flag, text)
  if (from > to) throw new FlagError(flag, `"${text}": ${from} is above ${to}`)
  return { from, to }
}

/** host:port (or a bare port, on 127.0.0.1); port 0 picks a free one. */
export function parseListen(text: string, flag = '--listen'): { host: string; port: number } {
  const i = text.lastIndexOf(':')
  const host = i < 0 ? '127.0.0.1' : text.slice(0, i).replace(/^\[(.*)\]$/, '$1')
  const portText = i < 0 ? text : text.slice(i + 1)
  if (!host || !/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new FlagError(flag, `"${text}" is not host:port, like 127.0.0.1:8080`)
  return { host, port: Number(portText) }
}
