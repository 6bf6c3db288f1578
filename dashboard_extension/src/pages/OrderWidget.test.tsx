import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { FakeApi } from "../test/api";
import { renderPage } from "../test/render";
import { OrderWidget } from "./OrderWidget";

const ORDER_ID = "T3JkZXI6NDI=";

describe("OrderWidget", () => {
  it("asks for this order's documents and shows number, status, amount and the bexio link", async () => {
    const api = new FakeApi({
      OrderWidget: (variables) => ({
        orderDocuments: {
          orderId: variables.orderId,
          actionsDone: ["create_invoice", "issue_invoice"],
          liveError: null,
          documents: [
            { kind: "invoice", bexioId: 7, number: "RE-00007", status: "paid", total: "1234.5", url: "https://office.bexio.com/index.php/kb_invoice/show/id/7" },
          ],
        },
      }),
    });
    renderPage(<OrderWidget />, "/app/order-widget", { orderId: ORDER_ID });
    const document = await screen.findByTestId("bexio-document");
    expect(api.callsOf("OrderWidget")[0].variables).toEqual({ orderId: ORDER_ID });
    expect(screen.getByTestId("document-title").textContent).toBe("Invoice RE-00007");
    expect(screen.getByTestId("document-status").getAttribute("data-status")).toBe("paid");
    expect(screen.getByTestId("document-status").textContent).toBe("Paid");
    expect(screen.getByTestId("document-total").textContent).toMatch(/^1[’',]234\.50$/);
    const link = screen.getByTestId("document-link") as HTMLAnchorElement;
    expect(link.href).toBe("https://office.bexio.com/index.php/kb_invoice/show/id/7");
    expect(link.target).toBe("_blank");
    expect(screen.getByTestId("actions-done").textContent).toBe("Done in bexio: invoice created, invoice issued");
    expect(document.getAttribute("data-kind")).toBe("invoice");
  });

  it("says when the order has no bexio documents yet, and shows a live error", async () => {
    new FakeApi({
      OrderWidget: (variables) => ({
        orderDocuments: { orderId: variables.orderId, actionsDone: [], liveError: null, documents: [] },
      }),
    });
    renderPage(<OrderWidget />, "/app/order-widget", { orderId: ORDER_ID });
    expect((await screen.findByTestId("widget-empty")).textContent).toBe("No bexio documents for this order yet.");
  });

  it("shows nothing but a hint without an order id", async () => {
    const api = new FakeApi({});
    const search = new URLSearchParams(window.location.search);
    search.delete("orderId");
    window.history.replaceState(null, "", `/app/order-widget?${search}`);
    renderPage(<OrderWidget />, "/app/order-widget");
    await waitFor(() => expect(screen.getByTestId("widget-no-order")).toBeTruthy());
    expect(api.calls).toHaveLength(0);
  });
});
