import { type ReactElement, useEffect, useState } from "react";

import { ErrorsPage } from "./pages/ErrorsPage";
import { NotFoundPage, PlaceholderPage } from "./pages/Placeholder";

/** Pages by pathname below the app's base (/app). The real pages replace these placeholders. */
export const routes: Record<string, () => ReactElement> = {
  "/app": () => <PlaceholderPage title="bexio" />,
  "/app/errors": () => <ErrorsPage />,
  "/app/order-widget": () => <PlaceholderPage title="bexio documents" />,
  "/app/order-sync": () => <PlaceholderPage title="Sync order to bexio" />,
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

export function Router() {
  const path = normalizePath(usePathname());
  const page = routes[path];
  return page ? page() : <NotFoundPage path={path} />;
}
