export * from "./app_error.ts";
export * from "./problem.ts";
