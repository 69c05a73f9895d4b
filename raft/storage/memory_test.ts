import { MemoryStorage } from "./memory.ts";
import { storageConformance } from "./conformance.ts";

storageConformance("memory", () => new MemoryStorage());
