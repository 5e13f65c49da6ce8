import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/**
 * A tool's answer: compact JSON text. Compact because every byte lands in the assistant's
 * context window; JSON because the assistant reads it as data (dates as ISO strings).
 */
export function jsonResult(value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }] };
}

/**
 * A failure the assistant should see and can act on (a bad payload, an unknown job, the
 * database down), as a tool error rather than a protocol error: MCP clients show tool
 * errors to the model, while protocol errors often only reach the user's logs.
 */
export function toolError(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** Runs a tool's body; any error becomes a tool error with its one-line message. */
export async function answer(body: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await body();
  } catch (err) {
    const message = err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]}` : String(err);
    return toolError(message);
  }
}
