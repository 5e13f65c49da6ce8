import { ConfigError } from '../errors.js';

type McpModule = typeof import('@modelcontextprotocol/sdk/server/mcp.js');
type StdioModule = typeof import('@modelcontextprotocol/sdk/server/stdio.js');

/** The parts of the official MCP SDK `pgq mcp` uses. */
export interface McpSdk {
  McpServer: McpModule['McpServer'];
  StdioServerTransport: StdioModule['StdioServerTransport'];
}

const PACKAGE = '@modelcontextprotocol/sdk';

/**
 * Loads the SDK at run time. It is an optional peer dependency: it brings an HTTP stack
 * (express, hono) that a worker or producer must never carry, so only `pgq mcp` asks for it,
 * and a missing package is one line telling the user what to install.
 */
export async function loadMcpSdk(): Promise<McpSdk> {
  try {
    const [{ McpServer }, { StdioServerTransport }] = await Promise.all([
      import('@modelcontextprotocol/sdk/server/mcp.js'),
      import('@modelcontextprotocol/sdk/server/stdio.js'),
    ]);
    return { McpServer, StdioServerTransport };
  } catch (err) {
    const { code, message = '' } = err as { code?: string; message?: string };
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED';
    // A package the SDK itself needs may be the one missing: name that one, not the SDK.
    if (missing && message.includes(PACKAGE)) {
      throw new ConfigError(`pgq mcp needs the "${PACKAGE}" package (1.x): npm install ${PACKAGE}`, { cause: err });
    }
    throw err;
  }
}
