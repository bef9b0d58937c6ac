// A private redis-server (Debian's package) on a free loopback port with its own
// temporary directory. Nothing is shared with any other Redis on the machine.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";
import { freePort, type ManagedProcess, startProcess, waitFor } from "./processes.ts";

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  /** Stops the server; its data is gone (no persistence), as after a crash of an unpersisted Redis. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
}

/** `args`: configuration before the harness's own (the chart's ACL users, say); port, bind and dir stay the harness's. */
export async function startRedis(options: { args?: string[] } = {}): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), "tollgate-redis-"));
  const port = await freePort();
  let server: ManagedProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const launch = async () => {
    server = startProcess(
      process.env.REDIS_SERVER ?? "redis-server",
      [
        ...(options.args ?? []),
        "--bind",
        "127.0.0.1",
        "--port",
        String(port),
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "yes",
      ],
      join(dir, "redis.log"),
    );
    await waitFor("redis-server to accept connections", async () => {
      if (server?.child.exitCode !== null) throw new Error(`redis-server exited; see ${join(dir, "redis.log")}`);
      const client = createClient({ url });
      client.on("error", () => {});
      try {
        await client.connect();
        return (await client.ping()) === "PONG";
      } finally {
        if (client.isOpen) await client.close();
      }
    });
  };
  await launch();
  return {
    url,
    port,
    dir,
    async stop() {
      await server?.stop();
    },
    async restart() {
      await server?.stop();
      await launch();
    },
  };
}

/** Removes a finished Redis's directory (logs are kept until then for failures). */
export async function removeRedisDir(redis: TestRedis): Promise<void> {
  await rm(redis.dir, { recursive: true, force: true });
}
