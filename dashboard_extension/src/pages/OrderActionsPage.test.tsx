import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { FakeApi } from "../test/api";
import { renderPage } from "../test/render";
import { OrderActionsPage } from "./OrderActionsPage";

const COLUMNS = [
  { action: "create_order", label: "Create order" },
  { action: "create_invoice", label: "Create invoice" },
  { action: "issue_invoice", label: "Issue invoice" },
  { action: "send_invoice", label: "Send invoice" },
];

/** The shop's settings document behind the fake API; saving replaces it, as the app does. */
function shop() {
  let json: Record<string, unknown> = {
    version: 1,
    bexio_user_id: 1,
    order_actions: { confirmed: ["create_invoice", "issue_invoice"], paid: [] },
    on_invoice_paid: "mark_as_paid",
    on_invoice_cancelled: "none",
  };
  const api = new FakeApi({
    OrderActionsPage: () => {
      const actions = json.order_actions as Record<string, string[]>;
      return {
        settings: { json },
        orderActionMatrix: {
          rows: [
            { row: "confirmed", label: "Confirmed", actions: actions.confirmed ?? [] },
            { row: "paid", label: "Paid", actions: actions.paid ?? [] },
          ],
          columns: COLUMNS,
        },
      };
    },
    SaveSettings: (variables) => {
      json = variables.json as Record<string, unknown>;
      return { saveSettings: { __typename: "SettingsSaved", json, warnings: [] } };
    },
  });
  return { api, current: () => json };
}

function box(testId: string): HTMLInputElement {
  return screen.getByTestId(testId) as HTMLInputElement;
}

describe("OrderActionsPage", () => {
  it("shows the stored matrix, saves the changed ticks and choices and shows them again", async () => {
    const { api, current } = shop();
    renderPage(<OrderActionsPage />, "/app/order-actions");
    await screen.findByTestId("action-matrix");
    await waitFor(() => expect(box("cell-confirmed-create_invoice").checked).toBe(true));
    expect(box("cell-confirmed-create_order").checked).toBe(false);
    expect((screen.getByTestId("on-invoice-paid") as HTMLSelectElement).value).toBe("mark_as_paid");
    // when the merchant ticks "send invoice" when paid and "create order" when confirmed,
    // unticks "issue invoice" and chooses another action for cancelled invoices
    fireEvent.click(box("cell-paid-send_invoice"));
    fireEvent.click(box("cell-confirmed-issue_invoice"));
    fireEvent.click(box("cell-confirmed-create_order"));
    fireEvent.change(screen.getByTestId("on-invoice-cancelled"), { target: { value: "cancel_order" } });
    fireEvent.click(screen.getByTestId("save"));
    // then the whole document is saved with the matrix in the columns' order
    await waitFor(() => expect(api.callsOf("SaveSettings")).toHaveLength(1));
    expect(current()).toEqual({
      version: 1,
      bexio_user_id: 1,
      order_actions: { confirmed: ["create_order", "create_invoice"], paid: ["send_invoice"] },
      on_invoice_paid: "mark_as_paid",
      on_invoice_cancelled: "cancel_order",
    });
    // and the page reads it back
    await waitFor(() => expect(api.callsOf("OrderActionsPage")).toHaveLength(2));
    expect(box("cell-paid-send_invoice").checked).toBe(true);
    expect(box("cell-confirmed-issue_invoice").checked).toBe(false);
    expect((screen.getByTestId("on-invoice-cancelled") as HTMLSelectElement).value).toBe("cancel_order");
  });

  it("a refused save lists the problems and keeps the merchant's ticks", async () => {
    const { api } = shop();
    api.on("SaveSettings", () => ({
      saveSettings: {
        __typename: "SettingsInvalid",
        problems: [{ setting: "order_actions", message: "Send invoice needs Issue invoice.", severity: "ERROR" }],
      },
    }));
    const { dashboard } = renderPage(<OrderActionsPage />, "/app/order-actions");
    await screen.findByTestId("action-matrix");
    fireEvent.click(box("cell-paid-send_invoice"));
    fireEvent.click(screen.getByTestId("save"));
    const problem = await screen.findByTestId("settings-problem");
    expect(problem.textContent).toBe("Send invoice needs Issue invoice.");
    expect(box("cell-paid-send_invoice").checked).toBe(true);
    expect(api.callsOf("OrderActionsPage")).toHaveLength(1);
    await waitFor(() => expect(dashboard.notifications().at(-1)?.status).toBe("error"));
  });
});
