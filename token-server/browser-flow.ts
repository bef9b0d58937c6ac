// The browser flow: the authorization endpoint with its sign-in and consent pages, the
// pages' stylesheet, and RP-initiated logout. app.ts imports this on the first request
// to one of its routes (middleware/lazy-steps.ts): most token servers only ever answer
// machine clients, and the pages, sessions and interaction steps then stay out of memory.
export { endSessionEndpoint } from "./actions/end-session.ts";
export { authorizeEndpoint, consentEndpoint, continueEndpoint, loginEndpoint } from "./authorize/endpoints.ts";
export { serveStylesheet } from "./pages/stylesheet.ts";
