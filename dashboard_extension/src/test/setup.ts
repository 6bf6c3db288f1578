import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

import { APP_ID, closeDashboards, DASHBOARD_ORIGIN, SALEOR_API_URL } from "./dashboard";

// What the dashboard gives an app iframe before the app's modules load: the referrer AppBridge
// trusts messages from, and the iframe URL with the app id and the shop's API URL.
Object.defineProperty(document, "referrer", { value: `${DASHBOARD_ORIGIN}/`, configurable: true });
window.history.replaceState(
  null,
  "",
  `/app/errors?${new URLSearchParams({ id: APP_ID, saleorApiUrl: SALEOR_API_URL, theme: "light" })}`,
);

afterEach(() => {
  cleanup();
  closeDashboards();
});
