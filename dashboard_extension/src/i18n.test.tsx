import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { messages, toLanguage } from "./i18n";
import { pauseReason } from "./pages/ErrorsPage";
import { FakeApi } from "./test/api";
import { entry, errorLog, TWO_ERRORS } from "./test/errorLog";
import { ErrorsPage } from "./pages/ErrorsPage";
import { OrderWidget } from "./pages/OrderWidget";
import { renderPage } from "./test/render";

const BACKFILL = {
  id: 1,
  entity: "orders",
  status: "running",
  total: 10,
  done: 4,
  since: "2026-01-01T00:00:00+00:00",
  updatedAt: "2026-11-23T10:00:00+00:00",
};

function widgetApi() {
  return new FakeApi({
    OrderWidget: () => ({
      orderDocuments: {
        orderId: "T3JkZXI6MQ==",
        actionsDone: [],
        liveError: null,
        documents: [{ kind: "invoice", bexioId: 7, number: "RE-7", status: "paid", total: "1234.5", url: "https://office.bexio.com/7" }],
      },
    }),
  });
}

describe("language", () => {
  it("maps the dashboard's locales to English or German", () => {
    expect(["de", "de-CH", "DE_CH", "en", "fr", undefined].map(toLanguage)).toEqual(["de", "de", "de", "en", "en", "en"]);
  });

  it("translates the pause reasons the app sends as codes; others stay as the app wrote them", () => {
    const at = "2026-11-23T09:00:00+00:00";
    const broken = { pausedAt: at, reason: "bexio connection broken", code: "connection_broken", openErrors: null };
    const one = { pausedAt: at, reason: "1 unresolved errors", code: "unresolved_errors", openErrors: 1 };
    const other = { pausedAt: at, reason: "maintenance window", code: "other", openErrors: null };
    expect([broken, one, TWO_ERRORS, other].map((p) => pauseReason(p, messages.de))).toEqual([
      "die bexio-Verbindung ist unterbrochen",
      "1 ungelöster Fehler",
      "2 ungelöste Fehler",
      "maintenance window",
    ]);
    expect([broken, one, other].map((p) => pauseReason(p, messages.en))).toEqual([
      "the bexio connection is broken",
      "1 unresolved error",
      "maintenance window",
    ]);
  });

  it("switches the errors page between English and German when the dashboard does", async () => {
    errorLog([entry(1, { occurrences: 2 })], { pause: TWO_ERRORS, backfills: [BACKFILL] });
    const { dashboard } = renderPage(<ErrorsPage />, "/app/errors");
    const row = await screen.findByTestId("error-row");
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("bexio sync errors");
    expect(screen.getByTestId("connection-status").textContent).toBe("bexio connected: Muster AG (Max)");
    expect(screen.getByTestId("pause-banner").textContent).toContain(": 2 unresolved errors.");
    expect(within(row).getByText("Order")).toBeTruthy();
    expect(screen.getByTestId("retry").textContent).toBe("Retry");
    expect(screen.getByTestId("backfill-count").textContent).toBe("4 of 10");
    // the dashboard switches to German
    dashboard.setLocale("de");
    await waitFor(() => expect(screen.getByTestId("errors-page").getAttribute("data-language")).toBe("de"));
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("bexio-Synchronisationsfehler");
    expect(screen.getByTestId("connection-status").textContent).toBe("bexio verbunden: Muster AG (Max)");
    expect(screen.getByTestId("pause-banner").textContent).toContain("pausiert: 2 ungelöste Fehler.");
    expect(within(row).getByText("Bestellung")).toBeTruthy();
    expect(within(row).getByText("Einstellungen")).toBeTruthy();
    expect(screen.getByTestId("retry").textContent).toBe("Erneut versuchen");
    expect(screen.getByTestId("backfill-count").textContent).toBe("4 von 10");
    expect(screen.getByTestId("backfill-status").textContent).toBe("Läuft");
    // and back
    dashboard.setLocale("en");
    await waitFor(() => expect(screen.getByTestId("errors-page").getAttribute("data-language")).toBe("en"));
    expect(screen.getByTestId("retry").textContent).toBe("Retry");
  });

  it("shows the order widget in German with Swiss number format", async () => {
    widgetApi();
    const { dashboard } = renderPage(<OrderWidget />, "/app/order-widget", { orderId: "T3JkZXI6MQ==" });
    dashboard.setLocale("de-CH");
    await waitFor(() => expect(screen.getByTestId("order-widget").getAttribute("data-language")).toBe("de"));
    expect((await screen.findByTestId("document-title")).textContent).toBe("Rechnung RE-7");
    expect(screen.getByTestId("document-status").textContent).toBe("Bezahlt");
    // Swiss grouping: an apostrophe (typographic or plain, by ICU version)
    expect(screen.getByTestId("document-total").textContent).toMatch(/^1[’']234\.50$/);
    expect(screen.getByTestId("document-link").textContent).toBe("In bexio öffnen");
  });
});
