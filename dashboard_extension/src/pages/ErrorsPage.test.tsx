import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { entry, errorLog, TWO_ERRORS } from "../test/errorLog";
import { SALEOR_API_URL } from "../test/dashboard";
import { renderPage } from "../test/render";
import { type Backfill, ErrorsPage, visibleBackfills } from "./ErrorsPage";

async function rows(): Promise<HTMLElement[]> {
  return screen.findAllByTestId("error-row");
}

describe("ErrorsPage", () => {
  it("lists the open entries with their messages, sent with the dashboard's token and shop", async () => {
    const api = errorLog([entry(1), entry(2, { kind: "sync_customer", reason: "rejected" })]);
    renderPage(<ErrorsPage />, "/app/errors");
    const listed = await rows();
    expect(listed).toHaveLength(2);
    expect(within(listed[0]).getByTestId("error-message").textContent).toContain("3.8 %");
    expect(within(listed[1]).getByText("Customer")).toBeTruthy();
    expect(within(listed[1]).getByText("Rejected by bexio")).toBeTruthy();
    expect(screen.getByTestId("connection-status").textContent).toBe("bexio connected: Muster AG (Max)");
    const [first] = api.callsOf("ErrorsPage");
    expect(first.variables).toEqual({ status: "open", kind: null, reason: null });
    expect(first.headers["saleor-api-url"]).toBe(SALEOR_API_URL);
    expect(first.headers["authorization-bearer"]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it("Retry and Dismiss of one entry send that entry's id", async () => {
    const api = errorLog([entry(11), entry(12)]);
    const { dashboard } = renderPage(<ErrorsPage />, "/app/errors");
    const [first, second] = await rows();
    fireEvent.click(within(second).getByTestId("retry"));
    await waitFor(() => expect(api.callsOf("Retry")).toHaveLength(1));
    expect(api.callsOf("Retry")[0].variables).toEqual({ ids: [12] });
    fireEvent.click(within(first).getByTestId("dismiss"));
    await waitFor(() => expect(api.callsOf("Dismiss")).toHaveLength(1));
    expect(api.callsOf("Dismiss")[0].variables).toEqual({ ids: [11] });
    await waitFor(() => expect(screen.queryByTestId("no-errors")).not.toBeNull());
    await waitFor(() => expect(dashboard.notifications()).toHaveLength(2));
    expect(dashboard.notifications().map((n) => [n.status, n.title])).toEqual([
      ["success", "1 entry queued again."],
      ["success", "1 entry dismissed."],
    ]);
  });

  it("retries the selected entries together after a confirmation with their count", async () => {
    const api = errorLog([entry(21), entry(22), entry(23)]);
    const { dashboard } = renderPage(<ErrorsPage />, "/app/errors");
    const listed = await rows();
    expect((screen.getByTestId("retry-selected") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(within(listed[0]).getByTestId("select-error"));
    fireEvent.click(within(listed[2]).getByTestId("select-error"));
    expect(screen.getByTestId("selected-count").textContent).toBe("2 selected");
    fireEvent.click(screen.getByTestId("retry-selected"));
    // nothing is sent before the merchant confirms
    const confirmation = screen.getByTestId("bulk-confirmation");
    expect(confirmation.textContent).toContain("Retry 2 entries?");
    expect(api.callsOf("Retry")).toHaveLength(0);
    fireEvent.click(within(confirmation).getByTestId("bulk-confirm"));
    await waitFor(() => expect(api.callsOf("Retry")).toHaveLength(1));
    expect(api.callsOf("Retry")[0].variables).toEqual({ ids: [21, 23] });
    await waitFor(() => expect(dashboard.notifications().at(-1)?.title).toBe("2 entries queued again."));
    await waitFor(() => expect(screen.getAllByTestId("error-row")).toHaveLength(1));
    expect(screen.getByTestId("error-row").getAttribute("data-error-id")).toBe("22");
    expect(screen.getByTestId("selected-count").textContent).toBe("0 selected");
  });

  it("select all takes every open entry of the page; Dismiss selected can be cancelled", async () => {
    const api = errorLog([entry(31), entry(32), entry(33)]);
    renderPage(<ErrorsPage />, "/app/errors");
    await rows();
    fireEvent.click(screen.getByTestId("select-all"));
    expect(screen.getByTestId("selected-count").textContent).toBe("3 selected");
    fireEvent.click(screen.getByTestId("dismiss-selected"));
    fireEvent.click(screen.getByTestId("bulk-cancel"));
    expect(screen.queryByTestId("bulk-confirmation")).toBeNull();
    expect(api.callsOf("Dismiss")).toHaveLength(0);
    fireEvent.click(screen.getByTestId("dismiss-selected"));
    expect(screen.getByTestId("bulk-confirmation").textContent).toContain("Dismiss 3 entries?");
    fireEvent.click(screen.getByTestId("bulk-confirm"));
    await waitFor(() => expect(api.callsOf("Dismiss")).toHaveLength(1));
    expect(api.callsOf("Dismiss")[0].variables).toEqual({ ids: [31, 32, 33] });
    await screen.findByTestId("no-errors");
    // unticking "select all" clears the selection
    fireEvent.click(screen.getByTestId("filter-dismissed"));
    await waitFor(() => expect(screen.getAllByTestId("error-row")).toHaveLength(3));
    expect(screen.queryByTestId("select-all")).toBeNull();
  });

  it("filters by status, kind and reason through the query's variables", async () => {
    const api = errorLog([
      entry(41),
      entry(42, { kind: "sync_customer", reason: "rejected" }),
      entry(43, { status: "resolved" }),
    ]);
    renderPage(<ErrorsPage />, "/app/errors");
    await rows();
    fireEvent.change(screen.getByTestId("filter-kind"), { target: { value: "sync_customer" } });
    await waitFor(() => expect(screen.getAllByTestId("error-row")).toHaveLength(1));
    expect(screen.getByTestId("error-row").getAttribute("data-error-id")).toBe("42");
    fireEvent.change(screen.getByTestId("filter-kind"), { target: { value: "" } });
    fireEvent.change(screen.getByTestId("filter-reason"), { target: { value: "config" } });
    fireEvent.click(screen.getByTestId("filter-all"));
    await waitFor(() =>
      expect(screen.getAllByTestId("error-row").map((row) => row.getAttribute("data-error-id"))).toEqual([
        "41",
        "43",
      ]),
    );
    expect(api.calls.at(-1)?.variables).toEqual({ status: null, kind: null, reason: "config" });
    // a resolved entry has neither checkbox nor buttons
    const resolved = screen.getAllByTestId("error-row")[1];
    expect(within(resolved).queryByTestId("select-error")).toBeNull();
    expect(within(resolved).queryByTestId("retry")).toBeNull();
  });

  it("shows the answer of the newest filter even when an older answer arrives later", async () => {
    const api = errorLog([entry(61), entry(62, { kind: "sync_customer" })]);
    const answer = api.handler("ErrorsPage");
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    api.on("ErrorsPage", async (variables) => {
      if (variables.kind === "sync_customer") {
        await held;
      }
      return answer(variables);
    });
    renderPage(<ErrorsPage />, "/app/errors");
    await waitFor(() => expect(screen.getAllByTestId("error-row")).toHaveLength(2));
    fireEvent.change(screen.getByTestId("filter-kind"), { target: { value: "sync_customer" } });
    fireEvent.change(screen.getByTestId("filter-kind"), { target: { value: "" } });
    await waitFor(() => expect(api.callsOf("ErrorsPage").at(-1)?.variables.kind).toBeNull());
    release();
    await waitFor(() => expect(api.callsOf("ErrorsPage")).toHaveLength(3));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(screen.getAllByTestId("error-row")).toHaveLength(2);
  });

  it("shows the paused banner and Resume lifts the pause", async () => {
    const api = errorLog([entry(51)], { pause: TWO_ERRORS });
    renderPage(<ErrorsPage />, "/app/errors");
    const banner = await screen.findByTestId("pause-banner");
    expect(banner.textContent).toContain("paused");
    expect(banner.textContent).toContain("paused since");
    expect(banner.textContent).toContain(": 2 unresolved errors.");
    fireEvent.click(within(banner).getByTestId("resume"));
    await waitFor(() => expect(api.callsOf("Resume")).toHaveLength(1));
    await waitFor(() => expect(screen.queryByTestId("pause-banner")).toBeNull());
  });

  it("shows the progress of backfills: entity, done of total, status and a bar", async () => {
    const backfills: Backfill[] = [
      { id: 3, entity: "products", status: "running", total: null, done: 0, since: "2026-01-01T00:00:00+00:00", updatedAt: "2026-11-23T10:00:00+00:00" },
      { id: 2, entity: "orders", status: "running", total: 200, done: 50, since: "2026-01-01T00:00:00+00:00", updatedAt: "2026-11-23T10:00:00+00:00" },
      { id: 1, entity: "customers", status: "done", total: 4, done: 4, since: "2025-01-01T00:00:00+00:00", updatedAt: "2026-11-22T10:00:00+00:00" },
    ];
    errorLog([], { backfills });
    renderPage(<ErrorsPage />, "/app/errors");
    const shown = await screen.findAllByTestId("backfill");
    expect(shown.map((b) => b.getAttribute("data-entity"))).toEqual(["products", "orders", "customers"]);
    const [products, orders, customers] = shown;
    expect(within(products).getByTestId("backfill-entity").textContent).toContain("Products");
    expect(within(products).getByTestId("backfill-count").textContent).toBe("0 queued, counting…");
    expect(within(orders).getByTestId("backfill-count").textContent).toBe("50 of 200");
    expect(within(orders).getByTestId("backfill-status").textContent).toBe("Running");
    expect(within(orders).getByTestId("backfill-bar-fill").style.width).toBe("25%");
    expect(within(customers).getByTestId("backfill-status").textContent).toBe("Done");
    expect(within(customers).getByTestId("backfill-bar-fill").style.width).toBe("100%");
  });

  it("keeps every running backfill and only the newest finished ones", () => {
    const make = (id: number, status: string): Backfill => ({
      id, entity: "orders", status, total: 1, done: 1, since: "", updatedAt: "",
    });
    const list = [make(9, "done"), make(8, "failed"), make(7, "running"), ...[6, 5, 4, 3, 2].map((id) => make(id, "done"))];
    expect(visibleBackfills(list).map((b) => b.id)).toEqual([7, 9, 8, 6, 5]);
  });
});
