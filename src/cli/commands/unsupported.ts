/** `skua acl …` and `skua user …`: skua has no ACLs or SASL users yet, so these say so and exit 1. */
import { Exit, type Command } from "../context.ts";

function notYet(name: string, what: string): Command {
  return {
    path: [name], summary: `${what}: not supported yet (skua has no SASL or authorization); every use exits 1.`, args: "[ARGS...]", argsMin: 0, argsMax: 100, flags: [],
    async run(context) {
      context.note(`skua: '${name}' is not supported yet: skua has no ${what} (no SASL or authorization)`);
      return Exit.failed;
    },
  };
}

export const unsupportedCommands: Command[] = [notYet("acl", "ACLs"), notYet("user", "SASL users")];
