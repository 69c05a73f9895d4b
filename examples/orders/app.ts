/**
 * An orders service built on Helios: its own OpenAPI routes with permissions and a rate limit,
 * orders kept in ATLAS, and a job that confirms each new order in the background.
 */
import {
  createHelios,
  type Helios,
  type HeliosOptions,
  NotFoundError,
  problemResponse,
  requirePermission,
  z,
} from "../../src/mod.ts";

const Order = z.object({
  id: z.string().openapi({ example: "o_1" }),
  item: z.string().min(1).max(100).openapi({ example: "espresso beans" }),
  quantity: z.number().int().min(1).max(1000),
  status: z.enum(["pending", "confirmed"]),
}).openapi("Order");
const NewOrder = Order.pick({ item: true, quantity: true }).strict().openapi("NewOrder");
type Order = z.infer<typeof Order>;

export const createOrder = requirePermission("orders:create", {
  method: "post",
  operationId: "createOrder", // the method name in generated SDKs
  path: "/api/v1/orders",
  tags: ["orders"],
  summary: "Place an order (confirmed in the background)",
  request: { body: { required: true, content: { "application/json": { schema: NewOrder } } } },
  responses: { 201: { description: "Placed", content: { "application/json": { schema: Order } } } },
});

export const getOrder = requirePermission("orders:read:{id}", {
  method: "get",
  operationId: "getOrder",
  path: "/api/v1/orders/{id}",
  tags: ["orders"],
  summary: "Get an order",
  request: { params: z.object({ id: z.string().regex(/^o_\d{1,12}$/) }) },
  responses: {
    200: { description: "The order", content: { "application/json": { schema: Order } } },
    404: problemResponse("No such order"),
  },
});

const orderKey = (id: string) => `orders:${id}`;

async function load(helios: Helios, id: string): Promise<Order> {
  const text = await helios.atlas.call("GET", orderKey(id));
  if (typeof text !== "string") throw new NotFoundError(`Order "${id}" does not exist`);
  return JSON.parse(text);
}

export async function createOrdersApp(options: HeliosOptions = {}): Promise<Helios> {
  const helios = await createHelios({ title: "Orders", version: "1.0.0", ...options });
  helios.route(createOrder, async (c) => {
    const input = c.req.valid("json");
    const id = `o_${await helios.atlas.call("INCR", "orders:next_id")}`;
    const order: Order = { id, ...input, status: "pending" };
    await helios.atlas.call("SET", orderKey(id), JSON.stringify(order));
    await helios.jobs.enqueue({ task: "orders.confirm", payload: { id } });
    return c.json(order, 201);
  }, { rateLimit: { capacity: 5, rateNum: 1, rateDen: 1 } });
  helios.route(getOrder, async (c) => c.json(await load(helios, c.req.valid("param").id), 200));
  helios.jobs.handle("orders.confirm", async (job) => {
    const { id } = job.payload as { id: string };
    const order = await load(helios, id);
    await helios.atlas.call("SET", orderKey(id), JSON.stringify({ ...order, status: "confirmed" }));
    return { confirmed: id };
  });
  return helios;
}

if (import.meta.main) {
  const helios = await createOrdersApp({
    dataDir: Deno.env.get("ORDERS_DATA_DIR") ?? "./data/orders",
  });
  helios.listen({ port: Number(Deno.env.get("PORT") ?? 8080) });
}
