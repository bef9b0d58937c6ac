// The one client every server in the benchmark serves, and the request it gets:
// client_credentials, client_secret_basic, scope orders.read, an ES256 JWT back.
export const BENCH_CLIENT_ID = "bench-client.default";
export const BENCH_CLIENT_SECRET = "bR5vYw9qk3XK3L1v8sQ0jv1u2d4m6n8p0r2t4v6x8zA";
export const BENCH_AUDIENCE = "https://orders.example";
export const BENCH_SCOPE = "orders.read";
export const TOKEN_BODY = `grant_type=client_credentials&scope=${BENCH_SCOPE}`;
export const BASIC_AUTHORIZATION = `Basic ${Buffer.from(`${BENCH_CLIENT_ID}:${BENCH_CLIENT_SECRET}`).toString("base64")}`;
export const TOKEN_HEADERS = {
  "content-type": "application/x-www-form-urlencoded",
  authorization: BASIC_AUTHORIZATION,
};
