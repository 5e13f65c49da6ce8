import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { Logger } from '../types.js';
import type { PgQueuer } from '../pgqueuer.js';
import { FINGERPRINT_HEADER } from '../schema/json-schema.js';
import { checkPayload, type Manifest, type ManifestJob } from '../cli/manifest.js';
import { answer, jsonResult } from './tool-result.js';

type JsonSchema = Record<string, unknown>;

/** A job's tool input: the JSON Schema clients see, and how to get the payload back out of the arguments. */
interface ToolInput {
  schema: JsonSchema;
  /** The payload is the "payload" argument rather than the arguments themselves. */
  wrapped: boolean;
  payloadOf(args: Record<string, unknown>): unknown;
}

/**
 * MCP tool arguments are always a JSON object. An object payload is the arguments as they
 * are (the assistant fills in the job's own fields); any other payload (a string, an array,
 * none declared) goes in a single "payload" argument. Definitions move to the root so the
 * schema's "#/$defs/..." references still resolve.
 */
function toolInput(payload: JsonSchema | null | undefined, grouped: boolean): ToolInput {
  if (payload && payload.type === 'object' && !grouped) return { schema: payload, wrapped: false, payloadOf: (args) => args };
  const { $schema, $defs, ...inner } = payload ?? {};
  return {
    wrapped: true,
    schema: {
      ...($schema ? { $schema } : {}),
      type: 'object',
      properties: {
        payload: payload ? inner : { description: 'the payload, any JSON (the job declares no payload schema)' },
        // A grouped job's group comes from a function of the schema file, which only the
        // application can run: the caller names it.
        ...(grouped ? { group: { type: 'string', minLength: 1, description: "the job's group (its tenant, say): groupConcurrency applies per group" } } : {}),
      },
      ...(payload || grouped ? { required: [...(payload ? ['payload'] : []), ...(grouped ? ['group'] : [])] } : {}),
      ...($defs ? { $defs } : {}),
    },
    payloadOf: (args) => args.payload ?? (payload ? undefined : {}),
  };
}

/**
 * The SDK only takes zod schemas and lists them through z.toJSONSchema. A permissive object
 * (so the SDK's own check lets every payload through to ours, which names the field) whose
 * metadata is the job's JSON Schema lists exactly the manifest's schema: zod's converter copies
 * metadata over what it generated, and `additionalProperties: undefined` drops the key the
 * permissive object would add (JSON has no undefined).
 */
function listedAs(schema: JsonSchema) {
  return z.looseObject({}).meta({ additionalProperties: undefined, ...schema });
}

/** A job name that fits an MCP tool name (letters, digits, "_" and "-", at most 64 characters) after "enqueue_". */
const TOOL_NAME = /^[A-Za-z0-9_-]{1,56}$/;

/**
 * Registers `enqueue_<job>` for each job of the manifest that can be enqueued (scheduled jobs
 * run on their schedule). The payload is checked against the job's JSON Schema before it is
 * sent, as `pgq enqueue` does, and stamped with the manifest's fingerprint and default
 * priority as the generated client does, so workers treat it like any producer's job.
 */
export function registerEnqueueTools(server: McpServer, pgq: PgQueuer, manifest: Manifest, logger: Logger): string[] {
  const registered: string[] = [];
  for (const [job, entry] of Object.entries(manifest.jobs)) {
    if (entry.schedule) continue;
    if (!TOOL_NAME.test(job)) {
      logger.warn({ job }, `pgq mcp: no enqueue tool for job "${job}": its name cannot be part of an MCP tool name`);
      continue;
    }
    const name = `enqueue_${job}`;
    const input = toolInput(entry.payload, entry.grouped === true);
    server.registerTool(
      name,
      {
        description: `Enqueue one "${job}" job. ${input.wrapped ? 'Its payload goes in the "payload" argument' : 'The arguments are its payload'}, checked against the job's schema; returns the new job's id.`,
        inputSchema: listedAs(input.schema),
        // Writes to the queue, and a second call is a second job.
        annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      },
      (args) =>
        answer(async () => {
          const payload = input.payloadOf(args as Record<string, unknown>);
          if (entry.payload) await checkPayload(job, payload, entry.payload);
          const group = (args as Record<string, unknown>).group;
          if (entry.grouped && group === undefined) throw new ConfigError(`"${job}" is grouped by its schema's group function: pass its "group"`);
          const id = await pgq.enqueue(job, payload, { ...enqueueOptions(entry), ...(entry.grouped ? { group: group as string } : {}) });
          return jsonResult({ id, entrypoint: job });
        }),
    );
    registered.push(name);
  }
  return registered;
}

function enqueueOptions(entry: ManifestJob) {
  const priority = entry.options?.priority;
  return {
    ...(typeof priority === 'number' ? { priority } : {}),
    ...(entry.fingerprint ? { headers: { [FINGERPRINT_HEADER]: entry.fingerprint } } : {}),
  };
}
