#!/usr/bin/env node
// dokkaacfg: provisions hosts and drives the cluster from a terminal. This is the one
// boundary where errors become output: our CfgErrors print `error:` and `hint:` with
// their exit status; anything else is a bug and prints its stack.
import { Command, CommanderError } from 'commander'
import { registerProvisioning } from './cmd-provision.js'
import { registerApps } from './cmd-apps.js'
import { registerRuntime } from './cmd-runtime.js'
import { registerVolumes } from './cmd-volumes.js'
import { registerSecrets } from './cmd-secrets.js'
import { registerRegistries } from './cmd-registries.js'
import { registerCerts } from './cmd-certs.js'
import { registerRoles } from './cmd-certs-init.js'
import { CfgError, EXIT } from './errors.js'

export function buildProgram(): Command {
  const program = new Command('dokkaacfg')
    .description('Provision Dokkaa hosts and drive the cluster from a terminal.')
    .option('--json', 'machine-readable output on stdout')
    .exitOverride()
    .showSuggestionAfterError()
    .addHelpText('after', `
Exit status: 0 ok, 1 failure, 2 usage, 3 precondition (root, packages), 4 provisioning,
5 API error, 6 not found, 7 authentication, 8 rollout failed (apply --wait: rolled back,
paused, invalid), 9 apply --wait timed out.

Examples:
  sudo dokkaacfg up --scale=3     a three-host cluster on this machine
  dokkaacfg status
  sudo dokkaacfg down`)
  registerProvisioning(program)
  registerApps(program)
  registerRuntime(program)
  registerVolumes(program)
  registerSecrets(program)
  registerRegistries(program)
  registerCerts(program)
  registerRoles(program)
  for (const c of program.commands) c.exitOverride()
  return program
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram()
  try {
    await program.parseAsync(argv, { from: 'user' })
    // A command that partly failed (apply with one refused file) sets its status and carries on.
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are "errors" to commander; it has printed them already.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return EXIT.ok
      return EXIT.usage
    }
    if (e instanceof CfgError) {
      process.stderr.write(`error: ${e.message}\n`)
      if (e.hint) process.stderr.write(`hint: ${e.hint}\n`)
      return e.exitCode
    }
    process.stderr.write(`internal error (a bug in dokkaacfg): ${e instanceof Error ? e.stack : String(e)}\n`)
    return EXIT.failure
  }
}

const invoked = process.argv[1] ?? ''
if (invoked.endsWith('/cfg-cli/main.ts') || invoked.endsWith('/cfg-cli/main.js') || invoked.endsWith('/dokkaacfg')) {
  void main(process.argv.slice(2)).then(code => { process.exitCode = code })
}
