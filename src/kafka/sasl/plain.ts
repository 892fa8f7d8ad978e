/** PLAIN (RFC 4616): one token "authzid NUL user NUL password", checked against the user's SCRAM credential. */
import { passwordMatches, type ScramCredential } from "../../cluster/users.ts";
import { failed, type SaslExchange, type SaslStep } from "./exchange.ts";
import { decodeText } from "./scram.ts";

export function plainExchange(lookup: (user: string) => ScramCredential[]): SaslExchange {
  let finished = false;
  return {
    step(token: Uint8Array): SaslStep {
      if (finished) return failed("PLAIN takes one message");
      finished = true;
      const text = decodeText(token);
      const parts = text?.split("\u0000");
      if (!parts || parts.length !== 3) return failed("PLAIN message must be authzid NUL user NUL password");
      const [authzid, user, password] = parts;
      if (user === "" || password === "") return failed("PLAIN user and password must not be empty");
      if (authzid !== "" && authzid !== user) return failed("authorization id differs from the user name", user);
      const credentials = lookup(user);
      // Checked against one credential only: the cost does not grow with how many the user has.
      if (credentials.length === 0 || !passwordMatches(credentials[0], password)) return failed("invalid credentials", user);
      return { kind: "done", reply: new Uint8Array(0), user };
    },
  };
}
