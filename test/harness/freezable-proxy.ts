// A TCP proxy a test can freeze: while frozen, it keeps every connection open and
// accepts new ones but forwards nothing, so the service behind it looks hung (the
// worst case for a client: no error, no answer) rather than down.
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface FreezableProxy {
  /** host:port of the proxy on loopback. */
  port: number;
  freeze(): void;
  close(): Promise<void>;
}

export async function startFreezableProxy(targetHost: string, targetPort: number): Promise<FreezableProxy> {
  let frozen = false;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const server: Server = createServer((client) => {
    track(client);
    if (frozen) return; // accepted, never answered
    const upstream = createConnection(targetPort, targetHost);
    track(upstream);
    client.on("data", (chunk) => frozen || upstream.write(chunk));
    upstream.on("data", (chunk) => frozen || client.write(chunk));
    client.on("end", () => frozen || upstream.end());
    upstream.on("end", () => frozen || client.end());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => frozen || client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");
  return {
    port: address.port,
    freeze() {
      frozen = true;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
