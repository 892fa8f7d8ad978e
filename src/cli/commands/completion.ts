/**
 * `skua completion bash|zsh`: a completion script made from the command table, so it
 * knows every command and flag. zsh runs the same function through bashcompinit.
 */
import { Exit, type Command } from "../context.ts";
import { globalFlags } from "../command.ts";
import { UsageError } from "../args.ts";

/** Children of each command path ("" is the root): subcommand names, or a leaf's flags. */
export function completionTable(all: Command[]): Map<string, string[]> {
  const table = new Map<string, Set<string>>([["", new Set(["start", "help", "--help", "--version"])]]);
  const add = (path: string, word: string) => (table.get(path) ?? table.set(path, new Set()).get(path)!).add(word);
  for (const c of all) {
    for (let i = 0; i < c.path.length; i++) add(c.path.slice(0, i).join(" "), c.path[i]!);
    const leaf = c.path.join(" ");
    for (const f of [...c.flags, ...globalFlags]) {
      add(leaf, `--${f.long}`);
      if (f.short) add(leaf, `-${f.short}`);
    }
  }
  return new Map([...table].map(([k, v]) => [k, [...v]]));
}

export function bashScript(all: Command[]): string {
  const cases = [...completionTable(all)].map(([path, words]) => `    "${path}") words="${words.join(" ")}" ;;`).join("\n");
  return `# skua shell completion (bash). Load with: source <(skua completion bash)
_skua() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" next words _skua_known i
  for ((i = 1; i < COMP_CWORD; i++)); do
    next="\${path:+$path }\${COMP_WORDS[i]}"
    _skua_words "$next"
    if [ "$_skua_known" = 1 ]; then path="$next"; fi
  done
  _skua_words "$path"
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
_skua_words() {
  _skua_known=1
  case "$1" in
${cases}
    *) _skua_known=0; words="" ;;
  esac
}
complete -F _skua skua
`;
}

export const completion: Command = {
  path: ["completion"], summary: "Print a shell completion script: bash or zsh.", args: "bash|zsh", argsMin: 1, argsMax: 1, flags: [],
  notes: "bash: source <(skua completion bash)\nzsh:  source <(skua completion zsh)\n",
  async run(context) {
    const { commands } = await import("./index.ts");
    const shell = context.args[0];
    if (shell === "bash") process.stdout.write(bashScript(commands));
    else if (shell === "zsh") process.stdout.write(`#compdef skua\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(commands)}`);
    else throw new UsageError(`'skua completion' takes bash or zsh, got '${shell}'`);
    return Exit.ok;
  },
};
