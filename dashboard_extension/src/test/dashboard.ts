/**
 * A fake Saleor dashboard around the app's iframe in jsdom. The app's real AppBridge posts its
 * actions to `window.parent` (jsdom: the same window, origin ""); the fake records them and
 * answers each with a `response`, as the dashboard does. Events (handshake, localeChanged, …)
 * come from the dashboard's origin, the document's referrer.
 */
export const DASHBOARD_ORIGIN = "https://dashboard.test";
export const SALEOR_API_URL = "https://shop.test/graphql/";
export const APP_ID = "QXBwOjE=";

export interface DashboardAction {
  type: string;
  payload: Record<string, unknown>;
}

function isAction(data: unknown): data is DashboardAction {
  if (typeof data !== "object" || data === null) {
    return false;
  }
  const { type, payload } = data as { type?: unknown; payload?: unknown };
  return (
    typeof type === "string" &&
    type !== "response" &&
    typeof payload === "object" &&
    payload !== null &&
    "actionId" in payload
  );
}

/** A token that looks like the dashboard's (three base64url parts); the fake API checks it. */
export function dashboardToken(subject = "staff-1"): string {
  const part = (value: object) =>
    btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part({ sub: subject, app: APP_ID })}.signature`;
}

const opened: FakeDashboard[] = [];

/** Stop every fake dashboard of the test (they listen on the shared window). */
export function closeDashboards() {
  for (const dashboard of opened.splice(0)) {
    dashboard.close();
  }
}

export class FakeDashboard {
  readonly actions: DashboardAction[] = [];

  private readonly onMessage = (event: MessageEvent) => {
    if (event.origin === DASHBOARD_ORIGIN || !isAction(event.data)) {
      return;
    }
    this.actions.push(event.data);
    this.send("response", { actionId: event.data.payload.actionId, ok: true });
  };

  constructor() {
    window.addEventListener("message", this.onMessage);
    opened.push(this);
  }

  close() {
    window.removeEventListener("message", this.onMessage);
  }

  send(type: string, payload: Record<string, unknown>) {
    window.dispatchEvent(new MessageEvent("message", { data: { type, payload }, origin: DASHBOARD_ORIGIN }));
  }

  handshake(token = dashboardToken()) {
    this.send("handshake", { token, version: 1, saleorVersion: "3.24.0", dashboardVersion: "3.23.27" });
  }

  setLocale(locale: string) {
    this.send("localeChanged", { locale });
  }

  notifications(): { status: string; title: string; text?: string }[] {
    return this.actions
      .filter((action) => action.type === "notification")
      .map((action) => action.payload as { status: string; title: string; text?: string });
  }
}
