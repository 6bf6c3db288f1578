/**
 * A fake of the app's `/graphql` for component tests: answers by operation name, records every
 * call with its variables and headers. Installed as the global `fetch` (nothing reaches a network).
 */
import { vi } from "vitest";

export interface Call {
  operation: string;
  query: string;
  variables: Record<string, unknown>;
  headers: Record<string, string>;
}

/** The `data` of the answer; a promise delays the answer until it settles. */
export type Handler = (variables: Record<string, unknown>) => unknown;

function operationName(query: string): string {
  const match = /\b(?:query|mutation)\s+(\w+)/.exec(query);
  return match ? match[1] : "anonymous";
}

export class FakeApi {
  readonly calls: Call[] = [];
  private readonly handlers = new Map<string, Handler>();

  constructor(handlers: Record<string, Handler> = {}) {
    for (const [name, handler] of Object.entries(handlers)) {
      this.handlers.set(name, handler);
    }
    vi.stubGlobal("fetch", this.fetch);
  }

  on(operation: string, handler: Handler): this {
    this.handlers.set(operation, handler);
    return this;
  }

  /** The handler answering `operation` now (to wrap it). */
  handler(operation: string): Handler {
    const handler = this.handlers.get(operation);
    if (!handler) {
      throw new Error(`no fake for ${operation}`);
    }
    return handler;
  }

  callsOf(operation: string): Call[] {
    return this.calls.filter((call) => call.operation === operation);
  }

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.pathname !== "/graphql" || init?.method !== "POST") {
      return Response.json({ error: "not found" }, { status: 404 });
    }
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const body = JSON.parse(String(init.body)) as { query: string; variables?: Record<string, unknown> };
    const operation = operationName(body.query);
    const variables = body.variables ?? {};
    this.calls.push({ operation, query: body.query, variables, headers });
    if (!headers["authorization-bearer"]) {
      return Response.json({ error: "The dashboard session could not be verified." }, { status: 401 });
    }
    const handler = this.handlers.get(operation);
    if (!handler) {
      return Response.json({ errors: [{ message: `no fake for ${operation}` }] });
    }
    return Response.json({ data: await handler(variables) });
  };
}
