// kubectl tollgate: what people do by hand with OAuthClients, as one command each.
// bin/kubectl-tollgate runs this; `kubectl tollgate --help` lists the commands.
import { parseArgs } from "node:util";
import { loadContext, type PluginContext, PluginError, type PluginFlags } from "./context.ts";
import { disable, enable, revoke, rotate } from "./spec-changes.ts";
import { status } from "./status.ts";
import { token } from "./token.ts";

const COMMANDS: Record<string, { run: (context: PluginContext, name: string) => Promise<void>; help: string }> = {
  token: { run: token, help: "print an access token (client_credentials) from the client's Secret" },
  rotate: { run: rotate, help: "regenerate the client secret now (the old one works for the grace period)" },
  revoke: { run: revoke, help: "revoke every token issued so far (spec.revokeTokensIssuedBefore = now)" },
  disable: { run: disable, help: "stop issuing tokens to the client (spec.disabled = true)" },
  enable: { run: enable, help: "issue tokens to the client again (spec.disabled = false)" },
  status: { run: status, help: "conditions, Secret, last rotation and recent Events" },
};

const USAGE = `Usage: kubectl tollgate COMMAND OAUTHCLIENT [flags]

Commands:
${Object.entries(COMMANDS)
  .map(([name, { help }]) => `  ${name.padEnd(8)} ${help}`)
  .join("\n")}

Flags:
  -n, --namespace NAME   the OAuthClient's namespace (default: the context's, else "default")
      --kubeconfig PATH  kubeconfig file (default: $KUBECONFIG, ~/.kube/config)
      --token-url URL    token: POST here instead of the Secret's token endpoint, e.g.
                         http://127.0.0.1:8080/oauth2/token through kubectl port-forward
      --scope SCOPES     token: space-separated scopes to ask for
  -o, --output json      token: print the whole token response
  -h, --help             this help`;

export async function main(args: string[], print = console.log): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [commandName, name, ...extra] = positionals;
  const command = commandName === undefined ? undefined : COMMANDS[commandName];
  if (values.help) {
    print(USAGE);
    return 0;
  }
  if (!command || !name || extra.length > 0) {
    console.error(commandName && !command ? `unknown command "${commandName}"\n\n${USAGE}` : USAGE);
    return 2;
  }
  try {
    await command.run(loadContext(values as PluginFlags, print), name);
    return 0;
  } catch (error) {
    if (!(error instanceof PluginError)) throw error;
    console.error(`error: ${error.message}`);
    return 1;
  }
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      namespace: { type: "string", short: "n" },
      kubeconfig: { type: "string" },
      "token-url": { type: "string" },
      scope: { type: "string" },
      output: { type: "string", short: "o" },
      help: { type: "boolean", short: "h" },
    },
  });
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
