/** A shop's error log behind the fake `/graphql` (test/api.ts), for the errors page's tests. */
import type { Backfill } from "../pages/ErrorsPage";
import { FakeApi } from "./api";

export interface Entry {
  id: number;
  kind: string;
  key: string;
  reason: string;
  userMessage: string;
  messageCode: string | null;
  messageParams: Record<string, unknown>;
  occurrences: number;
  lastSeenAt: string;
  status: string;
}

export function entry(id: number, overrides: Partial<Entry> = {}): Entry {
  return {
    id,
    kind: "sync_order",
    key: `T3JkZXI6${id}`,
    reason: "config",
    userMessage: `The VAT rate 3.8 % of order ${id} is not mapped to a bexio tax.`,
    messageCode: null,
    messageParams: {},
    occurrences: 1,
    lastSeenAt: "2026-11-23T10:00:00+00:00",
    status: "open",
    ...overrides,
  };
}

export interface Pause {
  pausedAt: string;
  reason: string;
  code: string;
  openErrors: number | null;
}

export const TWO_ERRORS: Pause = {
  pausedAt: "2026-11-23T09:00:00+00:00",
  reason: "2 unresolved errors",
  code: "unresolved_errors",
  openErrors: 2,
};

/** A shop's error log behind the fake API: the filters and the mutations change it. */
export function errorLog(entries: Entry[], extra: { pause?: Pause; backfills?: Backfill[] } = {}) {
  let pause = extra.pause ?? null;
  const api = new FakeApi({
    ErrorsPage: (variables) => ({
      errors: entries.filter(
        (e) =>
          (variables.status === null || e.status === variables.status) &&
          (variables.kind === null || e.kind === variables.kind) &&
          (variables.reason === null || e.reason === variables.reason),
      ),
      syncPause: pause,
      bexioConnection: { status: "connected", companyName: "Muster AG", userName: "Max", brokenReason: null },
      backfills: extra.backfills ?? [],
    }),
    Retry: (variables) => {
      const ids = variables.ids as number[];
      const hit = entries.filter((e) => ids.includes(e.id) && e.status === "open");
      hit.forEach((e) => (e.status = "retried"));
      return { retryErrors: { __typename: "ErrorsRetried", count: hit.length } };
    },
    Dismiss: (variables) => {
      const ids = variables.ids as number[];
      const hit = entries.filter((e) => ids.includes(e.id) && e.status === "open");
      hit.forEach((e) => (e.status = "dismissed"));
      return { dismissErrors: { __typename: "ErrorsDismissed", count: hit.length } };
    },
    Resume: () => {
      pause = null;
      return { resumeSync: { __typename: "SyncResumed", resumed: true } };
    },
  });
  return api;
}
