/** Rate limiting: the pure token bucket, bucket stores, policies, headers and the middleware. */
export * from "./token_bucket.ts";
export { type BucketStore, LocalBucketStore } from "./store.ts";
export { AtlasBucketStore } from "./atlas_store.ts";
export * from "./policy.ts";
export * from "./headers.ts";
export { type Identity, rateLimit, type RateLimitOptions, templateOf } from "./middleware.ts";
export { register as registerRateLimitCommands } from "./atlas_command.ts";
