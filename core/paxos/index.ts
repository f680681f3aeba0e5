export * from "./ballot.ts";
export * from "./config.ts";
export * from "./messages.ts";
export * from "./acceptor.ts";
export * from "./proposer.ts";
