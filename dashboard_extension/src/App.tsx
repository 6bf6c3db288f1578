import { AppBridge, AppBridgeProvider, useAppBridge } from "@saleor/app-sdk/app-bridge";
import { Box, ThemeProvider, useTheme } from "@saleor/macaw-ui";
import { useEffect } from "react";

import { Router } from "./router";

// One AppBridge per page load: it reads id/theme/saleorApiUrl from the iframe URL and waits for the
// dashboard's handshake (which carries the user's token) via postMessage.
const appBridge = new AppBridge({ autoNotifyReady: true });

function toMacawTheme(theme: string | undefined): "defaultLight" | "defaultDark" {
  return theme === "dark" ? "defaultDark" : "defaultLight";
}

/** Follows the dashboard's light/dark switch (AppBridge `theme` events). */
function ThemeSynchronizer() {
  const { appBridgeState } = useAppBridge();
  const { setTheme } = useTheme();
  const dashboardTheme = appBridgeState?.theme;

  useEffect(() => {
    if (dashboardTheme) {
      setTheme(toMacawTheme(dashboardTheme));
    }
  }, [dashboardTheme, setTheme]);

  return null;
}

export function App() {
  return (
    <AppBridgeProvider appBridgeInstance={appBridge}>
      <ThemeProvider defaultTheme={toMacawTheme(appBridge.getState().theme)}>
        <ThemeSynchronizer />
        <Box padding={6}>
          <Router />
        </Box>
      </ThemeProvider>
    </AppBridgeProvider>
  );
}
