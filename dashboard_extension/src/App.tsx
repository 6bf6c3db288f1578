import { AppBridgeProvider, useAppBridge } from "@saleor/app-sdk/app-bridge";
import { Box, ThemeProvider, useTheme } from "@saleor/macaw-ui";
import { useEffect } from "react";

import { appBridge } from "./appBridge";
import { NavTabs } from "./NavTabs";
import { Router } from "./router";

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

/** The page's surface in the theme's background colour; `data-theme` names macaw's theme. */
function Surface() {
  const { theme } = useTheme();
  return (
    <Box
      data-testid="app-root"
      data-theme={theme}
      backgroundColor="default1"
      color="default1"
      padding={6}
      style={{ minHeight: "100vh", boxSizing: "border-box" }}
    >
      <NavTabs />
      <Router />
    </Box>
  );
}

export function App() {
  return (
    <AppBridgeProvider appBridgeInstance={appBridge}>
      <ThemeProvider defaultTheme={toMacawTheme(appBridge.getState().theme)}>
        <ThemeSynchronizer />
        <Surface />
      </ThemeProvider>
    </AppBridgeProvider>
  );
}
