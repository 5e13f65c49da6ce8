import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { silentLogger } from '../../src/logger.js';
import type { PgQueuer } from '../../src/pgqueuer.js';
import type { Manifest } from '../../src/cli/manifest.js';
import { registerEnqueueTools } from '../../src/mcp/enqueue-tools.js';
import { payloadJsonSchema } from '../../src/schema/json-schema.js';

/** Payload schemas made the way `pgq generate` makes them, in the shapes that are hard to list faithfully. */
interface Node {
  name: string;
  children: Node[];
}
const node: z.ZodType<Node> = z.lazy(() => z.object({ name: z.string(), children: z.array(node) }));
const schemas = {
  tree: payloadJsonSchema(z.object({ root: node, note: z.string().optional() })),
  strict: payloadJsonSchema(z.strictObject({ id: z.uuid(), count: z.int().min(1) })),
  either: payloadJsonSchema(z.union([z.object({ a: z.string() }), z.object({ b: z.number() })])),
  list: payloadJsonSchema(z.array(node)),
};

async function listed(manifest: Manifest) {
  const enqueued: Array<{ entrypoint: string; payload: unknown }> = [];
  const pgq = { enqueue: async (entrypoint: string, payload: unknown) => enqueued.push({ entrypoint, payload }) } as unknown as PgQueuer;
  const server = new McpServer({ name: 'test', version: '0' });
  const names = registerEnqueueTools(server, pgq, manifest, silentLogger);
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test', version: '0' });
  await Promise.all([server.connect(a), client.connect(b)]);
  const tools = Object.fromEntries((await client.listTools()).tools.map((t) => [t.name, t]));
  const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
  return { names, tools, call, enqueued, close: () => client.close() };
}

test("an object payload's tool lists the job's JSON Schema exactly: recursive definitions, strict objects", async () => {
  const { tools, call, enqueued, close } = await listed({ jobs: { tree: { payload: schemas.tree }, strict: { payload: schemas.strict } } });
  try {
    assert.ok('$defs' in schemas.tree, 'the recursive type is a definition');
    assert.deepEqual(tools.enqueue_tree!.inputSchema, schemas.tree);
    assert.deepEqual(tools.enqueue_strict!.inputSchema, schemas.strict);
    const ok = await call('enqueue_tree', { root: { name: 'a', children: [{ name: 'b', children: [] }] } });
    assert.equal(ok.isError, undefined);
    const bad = await call('enqueue_tree', { root: { name: 'a', children: [{ name: 7, children: [] }] } });
    assert.equal(bad.isError, true);
    assert.match((bad.content[0] as { text: string }).text, /root\.children\.0\.name: /);
    assert.equal((await call('enqueue_strict', { id: crypto.randomUUID(), count: 1, extra: true })).isError, true);
    assert.deepEqual(enqueued.map((e) => e.entrypoint), ['tree']);
  } finally {
    await close();
  }
});

test('any other payload goes in a "payload" argument, its definitions moved to the root so references resolve', async () => {
  const { tools, call, enqueued, close } = await listed({ jobs: { either: { payload: schemas.either }, list: { payload: schemas.list } } });
  try {
    const { $schema, $defs, ...items } = schemas.list;
    assert.deepEqual(tools.enqueue_list!.inputSchema, { $schema, type: 'object', properties: { payload: items }, required: ['payload'], $defs });
    const { $schema: _s, ...either } = schemas.either;
    assert.deepEqual(tools.enqueue_either!.inputSchema, { $schema, type: 'object', properties: { payload: either }, required: ['payload'] });
    assert.equal((await call('enqueue_list', { payload: [{ name: 'x', children: [] }] })).isError, undefined);
    assert.equal((await call('enqueue_either', { payload: { b: 2 } })).isError, undefined);
    assert.equal((await call('enqueue_either', { payload: { b: 'two' } })).isError, true);
    assert.equal((await call('enqueue_list', {})).isError, true);
    assert.deepEqual(enqueued, [
      { entrypoint: 'list', payload: [{ name: 'x', children: [] }] },
      { entrypoint: 'either', payload: { b: 2 } },
    ]);
  } finally {
    await close();
  }
});

test('no tool for scheduled jobs, nor for a name an MCP tool name cannot carry', async () => {
  const { names, close } = await listed({ jobs: { nightly: { schedule: '0 3 * * *', payload: null }, 'with.dot': { payload: null }, ok: { payload: null } } });
  try {
    assert.deepEqual(names, ['enqueue_ok']);
  } finally {
    await close();
  }
});

test("a grouped job's tool asks for the group beside the payload, and enqueues with it", async () => {
  const enqueued: Array<{ entrypoint: string; payload: unknown; group: unknown }> = [];
  const pgq = { enqueue: async (entrypoint: string, payload: unknown, options: { group?: string }) => enqueued.push({ entrypoint, payload, group: options.group }) } as unknown as PgQueuer;
  const server = new McpServer({ name: 'test', version: '0' });
  const payload = payloadJsonSchema(z.object({ tenant: z.string() }));
  registerEnqueueTools(server, pgq, { jobs: { report: { payload, grouped: true } } }, silentLogger);
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test', version: '0' });
  await Promise.all([server.connect(a), client.connect(b)]);
  try {
    const tool = (await client.listTools()).tools.find((t) => t.name === 'enqueue_report')!;
    assert.deepEqual(tool.inputSchema.required, ['payload', 'group']);
    const ok = (await client.callTool({ name: 'enqueue_report', arguments: { payload: { tenant: 'acme' }, group: 'acme' } })) as CallToolResult;
    assert.equal(ok.isError, undefined);
    const missing = (await client.callTool({ name: 'enqueue_report', arguments: { payload: { tenant: 'acme' } } })) as CallToolResult;
    assert.equal(missing.isError, true);
    assert.deepEqual(enqueued, [{ entrypoint: 'report', payload: { tenant: 'acme' }, group: 'acme' }]);
  } finally {
    await client.close();
  }
});
