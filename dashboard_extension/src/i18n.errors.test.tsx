import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import contract from "./test/coded-messages.json";
import { errorText, MESSAGE_CODES } from "./i18n.errors";
import { ErrorsPage } from "./pages/ErrorsPage";
import { OrderWidget } from "./pages/OrderWidget";
import { FakeApi } from "./test/api";
import { entry, errorLog } from "./test/errorLog";
import { renderPage } from "./test/render";

/** What the backend's producers write (tests/test_message_codes.py keeps this file current). */
const produced = contract.map((item) => ({
  name: item.name,
  userMessage: item.userMessage,
  messageCode: item.code,
  messageParams: item.params as Record<string, unknown>,
}));

const UNMAPPED = produced.find((item) => item.name === "vat-unmapped-line")!;

describe("coded error messages", () => {
  it("knows every code the backend writes", () => {
    expect([...new Set(produced.map((item) => item.messageCode))].sort()).toEqual([...MESSAGE_CODES].sort());
  });

  it.each(produced.map((item) => [item.name, item] as const))(
    "renders %s in English exactly as the backend wrote it",
    (_name, item) => {
      expect(errorText("en", item)).toBe(item.userMessage);
    },
  );

  it.each(produced.map((item) => [item.name, item] as const))("renders %s in German", (_name, item) => {
    const german = errorText("de", item);
    expect(german).not.toBe(item.userMessage);
    expect(german).not.toMatch(/undefined|null|\[object/);
    // values shown as they are (the others are keys with German words of their own)
    const shown = ["line", "rate", "taxClass", "tax", "status", "sku", "quantity", "number", "order", "amount", "invoice"];
    for (const name of shown) {
      expect(german).toContain(String(item.messageParams[name] ?? ""));
    }
  });

  it("fills the German VAT text with the rate and the tax class", () => {
    expect(errorText("de", UNMAPPED)).toBe(
      "Die Position „T-Shirt — M“ (Steuerklasse „Reduced“, 5.5 %): Der MWST-Satz 5.5 % ist keiner bexio-Steuer " +
        "zugeordnet. Ordnen Sie ihn im Tab MWST zu.",
    );
  });

  it("names the refused fields of a bexio rejection in German", () => {
    const rejected = produced.find((item) => item.name === "rejected-fields")!;
    expect(errorText("de", rejected)).toBe(
      "bexio hat den Kontakt abgelehnt. Betroffene Felder: E-Mail-Adresse, bexio-Benutzer.",
    );
  });

  it("falls back to the backend's text for unknown codes, missing params and unknown values", () => {
    const base = { userMessage: "As the backend wrote it." };
    const cases = [
      { ...base },
      { ...base, messageCode: null, messageParams: null },
      { ...base, messageCode: "code_from_a_newer_backend", messageParams: {} },
      { ...base, messageCode: "constructor", messageParams: {} },
      { ...base, messageCode: "stock_refused", messageParams: { sku: "SHIRT-M" } },
      { ...base, messageCode: "stock_refused", messageParams: { sku: "SHIRT-M", quantity: { n: 1 } } },
      { ...base, messageCode: "vat_rate_unmapped", messageParams: { ...UNMAPPED.messageParams, item: "gift" } },
      { ...base, messageCode: "setting_missing", messageParams: { setting: "toString" } },
      { ...base, messageCode: "bexio_rejected", messageParams: { what: "calendar year", fields: "" } },
    ];
    for (const item of cases) {
      expect(errorText("de", item)).toBe(base.userMessage);
      expect(errorText("en", item)).toBe(base.userMessage);
    }
  });

  it("shows a coded entry in German and an uncoded one as written on a German dashboard", async () => {
    const coded = entry(1, {
      userMessage: UNMAPPED.userMessage,
      messageCode: UNMAPPED.messageCode,
      messageParams: UNMAPPED.messageParams,
    });
    const uncoded = entry(2, { userMessage: "bexio sent contact data the app could not read." });
    errorLog([coded, uncoded]);
    const { dashboard } = renderPage(<ErrorsPage />, "/app/errors");
    dashboard.setLocale("de");
    await waitFor(() => expect(screen.getByTestId("errors-page").getAttribute("data-language")).toBe("de"));
    const [first, second] = await screen.findAllByTestId("error-row");
    expect(within(first).getByTestId("error-message").textContent).toBe(errorText("de", UNMAPPED));
    expect(within(first).getByTestId("error-message").textContent).toContain("ist keiner bexio-Steuer zugeordnet");
    expect(within(second).getByTestId("error-message").textContent).toBe(
      "bexio sent contact data the app could not read.",
    );
    // and in English, the backend's text
    dashboard.setLocale("en");
    await waitFor(() => expect(screen.getByTestId("errors-page").getAttribute("data-language")).toBe("en"));
    expect(within(first).getByTestId("error-message").textContent).toBe(UNMAPPED.userMessage);
  });

  it("translates the order widget's live error by its code", async () => {
    new FakeApi({
      OrderWidget: () => ({
        orderDocuments: {
          orderId: "T3JkZXI6MQ==",
          actionsDone: [],
          liveError: "bexio could not be reached; the app will try again later.",
          liveErrorCode: "bexio_unreachable",
          liveErrorParams: {},
          documents: [{ kind: "invoice", bexioId: 7, number: null, status: null, total: null, url: "https://office.bexio.com/7" }],
        },
      }),
    });
    const { dashboard } = renderPage(<OrderWidget />, "/app/order-widget", { orderId: "T3JkZXI6MQ==" });
    dashboard.setLocale("de");
    await waitFor(() => expect(screen.getByTestId("order-widget").getAttribute("data-language")).toBe("de"));
    expect((await screen.findByTestId("live-error")).textContent).toBe(
      "Aktuelle Angaben nicht verfügbar: bexio war nicht erreichbar; die App versucht es später erneut.",
    );
  });
});
