// A real MCP client from the official TypeScript SDK, for tests: connects over streamable HTTP,
// lists the tools, makes the calls given as JSON, and prints one JSON document with what it saw.
// Usage: node ts_client.mjs URL '[["tool", {"arg": 1}], ...]' [BEARER_TOKEN]
// A call the SDK rejects (a result that contradicts the tool's output schema: -32602) is reported
// as {"error": {...}} in its place, so the test can tell the SDK's verdict from the server's.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, callsJson = "[]", token] = process.argv.slice(2);
const headers = token ? { Authorization: `Bearer ${token}` } : {};
const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
const client = new Client({ name: "adaptgen-tests", version: "1.0.0" });
const out = { tools: [], calls: [] };
try {
  await client.connect(transport);
  out.protocolVersion = transport.protocolVersion ?? null;
  out.tools = (await client.listTools()).tools.map((t) => t.name);
  for (const [name, args] of JSON.parse(callsJson)) {
    try {
      out.calls.push({ result: await client.callTool({ name, arguments: args }) });
    } catch (error) {
      out.calls.push({ error: { code: error.code ?? null, message: String(error.message) } });
    }
  }
} catch (error) {
  out.error = { code: error.code ?? null, message: String(error.message) };
} finally {
  await client.close().catch(() => {});
}
process.stdout.write(JSON.stringify(out) + "\n");
