import { type ReactElement, useEffect, useState } from "react";

import { ConnectionPage } from "./pages/ConnectionPage";
import { ErrorsPage } from "./pages/ErrorsPage";
import { GeneralPage } from "./pages/GeneralPage";
import { OrderActionsPage } from "./pages/OrderActionsPage";
import { OrderSync } from "./pages/OrderSync";
import { OrderWidget } from "./pages/OrderWidget";
import { NotFoundPage, PlaceholderPage } from "./pages/Placeholder";
import { SynchronisationPage } from "./pages/SynchronisationPage";
import { VatPage } from "./pages/VatPage";

/** Pages by pathname below the app's base (/app). The real pages replace these placeholders. */
export const routes: Record<string, () => ReactElement> = {
  "/app": () => <PlaceholderPage title="bexio" />,
  "/app/errors": () => <ErrorsPage />,
  "/app/connection": () => <ConnectionPage />,
  "/app/order-actions": () => <OrderActionsPage />,
  "/app/general": () => <GeneralPage />,
  "/app/synchronisation": () => <SynchronisationPage />,
  "/app/vat": () => <VatPage />,
  "/app/order-widget": () => <OrderWidget />,
  "/app/order-sync": () => <OrderSync />,
};

export function normalizePath(pathname: string): string {
  const trimmed = pathname.replace(/\/+$/, "");
  return trimmed === "" ? "/" : trimmed;
}

function usePathname(): string {
  const [pathname, setPathname] = useState(() => window.location.pathname);
  useEffect(() => {
    const onPopState = () => setPathname(window.location.pathname);
    window.addEventListener("popstate", onPopState);
    return () => window.removeEventListener("popstate", onPopState);
  }, []);
  return pathname;
}

/** Go to another app page inside the iframe, keeping the query (id, theme, locale, …) AppBridge reads. */
export function navigate(path: string) {
  window.history.pushState(null, "", `${path}${window.location.search}`);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

/** The current app path and `navigate`, for links between the app's pages. */
export function useNavigation(): { path: string; navigate: (path: string) => void } {
  return { path: usePathname(), navigate };
}

export function Router() {
  const path = normalizePath(usePathname());
  const page = routes[path];
  return page ? page() : <NotFoundPage path={path} />;
}
