import { AppBridge } from "@saleor/app-sdk/app-bridge";
import { useEffect, useState } from "react";

// One AppBridge per page load: it reads id/theme/saleorApiUrl/locale from the iframe URL and waits
// for the dashboard's handshake (which carries the user's token) via postMessage.
export const appBridge = new AppBridge({ autoNotifyReady: true });

/**
 * The dashboard's locale: the iframe's `?locale` (app-sdk's default "en"), then every
 * `localeChanged` event. (`useAppBridge` does not re-render on `localeChanged`.)
 */
export function useDashboardLocale(): string {
  const [locale, setLocale] = useState<string>(() => appBridge.getState().locale);
  useEffect(
    () =>
      appBridge.subscribe("localeChanged", (payload) => {
        setLocale(payload.locale);
      }),
    [],
  );
  return locale;
}
