import type { Message } from "../core/types.ts";
import { transportConformance } from "./conformance.ts";
import { MemoryNetwork } from "./memory.ts";
import type { Transport } from "./transport.ts";

transportConformance("memory", async (ids) => {
  const network = new MemoryNetwork();
  const transports = new Map<string, Transport>();
  const inboxes = new Map<string, Message[]>();
  for (const id of ids) {
    const transport = network.transport(id);
    const inbox: Message[] = [];
    await transport.start((messages) => inbox.push(...messages));
    transports.set(id, transport);
    inboxes.set(id, inbox);
  }
  for (const [id, transport] of transports) {
    for (const peer of ids) if (peer !== id) transport.setPeer(peer, `mem:${peer}`);
  }
  return {
    transports,
    inboxes,
    close: async () => {
      for (const transport of transports.values()) await transport.close();
      await new Promise((resolve) => setTimeout(resolve, 5));
    },
  };
});
