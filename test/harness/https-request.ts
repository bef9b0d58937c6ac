// One HTTPS request with node:https, read whole: for the tests that must pin a CA, a
// server name or an address (fetch cannot), or see the certificate a server presented.
import { type RequestOptions, request } from "node:https";
import type { TLSSocket } from "node:tls";

export interface HttpsAnswer {
  status: number;
  body: string;
  /** The serial number of the certificate the server presented. */
  peerSerial: string;
}

export function httpsRequest(url: string | URL, options: RequestOptions, body?: string): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, ...options }, (res) => {
      const peerSerial = (res.socket as TLSSocket).getPeerCertificate?.().serialNumber ?? "";
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text, peerSerial }));
    });
    req.on("error", reject);
    req.end(body);
  });
}
