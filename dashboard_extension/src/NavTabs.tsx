import { Box, Button } from "@saleor/macaw-ui";

import { type SettingsMessages, useSettingsMessages } from "./i18n.settings";
import { normalizePath, routes, useNavigation } from "./router";

const TABS: { path: string; label: keyof SettingsMessages }[] = [
  { path: "/app/errors", label: "tabErrors" },
  { path: "/app/connection", label: "tabConnection" },
  { path: "/app/order-actions", label: "tabOrderActions" },
  { path: "/app/general", label: "tabGeneral" },
  { path: "/app/synchronisation", label: "tabSynchronisation" },
  { path: "/app/vat", label: "tabVat" },
];

/** The tab bar between the app's own pages (not shown inside the order widgets). */
export function NavTabs() {
  const { s } = useSettingsMessages();
  const { path, navigate } = useNavigation();
  const current = normalizePath(path);
  if (!TABS.some((tab) => tab.path === current)) {
    return null;
  }
  return (
    <Box as="nav" data-testid="nav-tabs" display="flex" gap={2} marginBottom={6} flexWrap="wrap">
      {TABS.filter((tab) => tab.path in routes).map((tab) => (
        <Button
          key={tab.path}
          data-testid={`tab-${tab.path.slice("/app/".length)}`}
          aria-current={tab.path === current ? "page" : undefined}
          variant={tab.path === current ? "primary" : "tertiary"}
          size="small"
          onClick={() => navigate(tab.path)}
        >
          {String(s[tab.label])}
        </Button>
      ))}
    </Box>
  );
}
