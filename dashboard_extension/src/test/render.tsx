import { AppBridgeProvider } from "@saleor/app-sdk/app-bridge";
import { ThemeProvider } from "@saleor/macaw-ui";
import { render, type RenderResult } from "@testing-library/react";
import type { ReactElement } from "react";

import { appBridge } from "../appBridge";
import { FakeDashboard } from "./dashboard";

/**
 * Render one page at `path` (e.g. "/app/errors") inside the app's providers, the way the
 * dashboard opens it, with extra iframe parameters (e.g. `{ orderId }`); then the handshake.
 */
export function renderPage(
  page: ReactElement,
  path: string,
  params: Record<string, string> = {},
): RenderResult & { dashboard: FakeDashboard } {
  const search = new URLSearchParams(window.location.search);
  for (const [name, value] of Object.entries(params)) {
    search.set(name, value);
  }
  window.history.replaceState(null, "", `${path}?${search}`);
  const dashboard = new FakeDashboard();
  const result = render(
    <AppBridgeProvider appBridgeInstance={appBridge}>
      <ThemeProvider defaultTheme="defaultLight">{page}</ThemeProvider>
    </AppBridgeProvider>,
  );
  dashboard.handshake();
  return { ...result, dashboard };
}
