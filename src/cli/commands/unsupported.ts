/** `skua user …`: not here yet; SASL users are managed through the admin API (/v1/security/users) and AlterUserScramCredentials. */
import { Exit, type Command } from "../context.ts";

function notYet(name: string, what: string, instead: string): Command {
  return {
    path: [name], summary: `${what}: not supported yet (${instead}); every use exits 1.`, args: "[ARGS...]", argsMin: 0, argsMax: 100, flags: [],
    async run(context) {
      context.note(`skua: '${name}' is not supported yet: ${instead}`);
      return Exit.failed;
    },
  };
}

export const unsupportedCommands: Command[] = [notYet("user", "SASL users", "manage them with the admin API, POST/PUT/DELETE /v1/security/users")];
